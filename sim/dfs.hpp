#pragma once
// Bounded exhaustive search: every schedule of a small scenario, by re-execution (stateless model
// checking, as in VeriSoft / CHESS). Each run follows a prefix of decisions and then answers 0;
// the next prefix bumps the last decision that has an option left. Decisions with more than
// `widest` options (random(), latencies) are not branched on: they take 0.
// No partial-order reduction yet (DPOR is not implemented): the count is of all schedules, so
// keep the example tiny (three processes of a few steps each).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/decision_log.hpp"
#include "sim/runner.hpp"

namespace moira::sim {

struct DfsReport {
  std::uint64_t runs = 0;             // schedules run (each a distinct decision sequence)
  bool complete = false;              // every schedule was run (not stopped by max_runs)
  std::uint64_t failing = 0;          // runs `failed` said yes to
  std::optional<std::vector<std::uint64_t>> first_failure;  // its choices, for VectorSource
};

// `failed` judges each run (with the scenario's own state, read after the run).
DfsReport explore_all(const Scenario& scenario, Options options, const std::function<bool(const RunResult&)>& failed,
                      std::uint64_t max_runs = 1'000'000, std::uint64_t widest = 64);

}  // namespace moira::sim
