#pragma once
// In-run checks for process code. sim::require(cond, fmt, args...) inside a simulated process
// ends the run at that step as failed, with the message, the step and the pid (RunResult::failure;
// the CLI and the properties library report it like a broken invariant) — no flag to set and
// check after the run. On ThreadedEngine (or outside any process) it throws moira::Error, so the
// process exits with that reason.
//
// sim::hot(m) / sim::cold(m) notify a liveness monitor (Simulation::add_monitor) from process code.
#include <string>
#include <utility>

#include <fmt/format.h>

#include "sim/simulation.hpp"

namespace moira::sim {

namespace detail {
[[gnu::cold]] void require_failed(std::string message);
}

template <class... Args>
void require(bool condition, fmt::format_string<Args...> format, Args&&... args) {
  if (condition) [[likely]]
    return;
  detail::require_failed(fmt::format(format, std::forward<Args>(args)...));
}

inline void require(bool condition) {
  if (!condition) [[unlikely]]
    detail::require_failed("requirement failed");
}

// No-ops outside a simulation, so the same code runs on threads.
inline void hot(Simulation::MonitorId monitor) {
  if (Simulation* s = Simulation::running()) s->hot(monitor);
}
inline void cold(Simulation::MonitorId monitor) {
  if (Simulation* s = Simulation::running()) s->cold(monitor);
}

}  // namespace moira::sim
