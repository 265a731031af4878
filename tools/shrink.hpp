#pragma once
// `moira shrink`: reduces a failing run of a scenario to a minimal one that still breaks the same
// invariant, by delta debugging over its decisions (set chunks to 0 — the calm answer — and cut
// the tail). Faults drawn from rates are decisions too, so they go with them.
#include <cstdint>
#include <iosfwd>
#include <string>

#include "tools/cli_common.hpp"

namespace moira::cli {

struct ShrinkRequest {
  std::string scenario;
  std::uint64_t seed = 1;  // the random walk's seed, when no log is given
  std::string log_path;    // a saved decision log of the failing run (any strategy)
  std::string out_path;    // where the shrunk log goes (default: <scenario>-<seed>.shrunk.log)
  std::uint64_t max_runs = 5000;
  std::string program = "moira";  // for the replay line: the binary with this scenario
  FaultFlags faults;       // over the scenario's settings, as the failing run had them
};

int cmd_shrink(const ShrinkRequest& request, std::ostream& out, std::ostream& err);

}  // namespace moira::cli
