#pragma once
// The `moira` command line: list, run, sweep, replay and shrink scenarios on the simulator.
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

}  // namespace moira::cli
