#pragma once
// `moira explore`: every schedule of a small scenario, with partial-order reduction (sim/dpor.hpp)
// or without (--no-dpor): how many executions it covered, whether that was all of them, and the
// first failure saved as a decision log with the line that replays it.
#include <cstdint>
#include <iosfwd>
#include <string>

namespace moira::cli {

struct ExploreRequest {
  std::string program = "moira";  // for the reproduce line
  std::string scenario;
  std::uint64_t max_runs = 100'000;
  bool dpor = true;
  std::string save_log;  // default: <scenario>.explore.log
};
int cmd_explore(const ExploreRequest& rq, std::ostream& out, std::ostream& err);

}  // namespace moira::cli
