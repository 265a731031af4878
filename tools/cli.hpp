#pragma once
// The `moira` command line: list, run, sweep, replay, shrink, trace and check the determinism of the
// registered scenarios (scenarios/scenario.hpp: MOIRA_SCENARIO) on the simulator. A user's binary
// gets it all by calling moira::cli::main(argc, argv) from its main, or by linking moira::cli_main.
#include <iosfwd>

namespace moira::cli {

// Distinct exit codes, so CI can tell a broken invariant from a hang from a bad flag.
enum Exit : int {
  ok = 0,
  correctness = 1,      // a scenario's invariant broke
  liveness = 2,         // a run hit max_steps / max_virtual_time
  not_reproduced = 3,   // a replay diverged or hashed differently: nondeterminism, or another build
  usage = 64,           // bad flag, unknown scenario, unreadable or malformed file
};

int main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int main(int argc, char** argv);  // on std::cout and std::cerr

}  // namespace moira::cli
