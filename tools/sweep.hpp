#pragma once
// `moira sweep`: many seeds of scenarios, on --jobs threads, optionally one --shard of the seed
// range and within a --time-budget. Each seed is its own single-threaded Simulation, so results,
// failing seeds, trace hashes and the JUnit report (apart from times) are the same for every N.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "tools/cli_common.hpp"

namespace moira::cli {

struct SweepRequest {
  std::vector<std::string> names;
  bool all = false;
  std::uint64_t first = 1;
  std::uint64_t count = 1000;
  unsigned jobs = 1;
  std::string shard;           // "i/n": the i-th of n disjoint parts of the seed range (1-based)
  std::uint64_t time_budget_s = 0;  // 0: none; else no seed starts after this much wall time
  StrategyFlags strategy;
  FaultFlags faults;
  std::string junit;
  bool expect_failures = false;
  std::string program = "moira";  // for reproduce lines: the binary that has these scenarios
};

// The part [begin, end) of seeds first .. first+count-1 that shard i/n runs; an error message
// (with the fix) when `shard` is malformed.
struct ShardRange {
  std::uint64_t begin = 0, end = 0;
  std::string error;
};
ShardRange shard_range(const std::string& shard, std::uint64_t first, std::uint64_t count);

int cmd_sweep(const SweepRequest& request, std::ostream& out, std::ostream& err);

}  // namespace moira::cli
