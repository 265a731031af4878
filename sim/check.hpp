#pragma once
// Always-on assertions for the simulator's own invariants (programmer errors, not process
// failures): print what broke and where, then abort.
#include <string>

#include <fmt/format.h>

namespace moira::sim::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition, const std::string& message);
}

#define MOIRA_SIM_CHECK(cond, ...)                                                                  \
  do {                                                                                              \
    if (!(cond)) ::moira::sim::detail::check_failed(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)
