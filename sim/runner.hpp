#pragma once
// Running scenarios: a Scenario sets up a fresh Simulation (nodes, processes, faults); these
// helpers run it under a strategy, replay a saved decision log, and check determinism.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sim/decision_log.hpp"
#include "sim/simulation.hpp"

namespace moira::sim {

using Scenario = std::function<void(Simulation&)>;

// Which ChoiceSource a run uses, as a value (so sweeps can vary it).
struct Strategy {
  enum class Kind : std::uint8_t { random, pct };
  Kind kind = Kind::random;
  std::uint64_t seed = 1;
  unsigned depth = 2;                 // pct
  std::uint64_t expected_steps = 1000;  // pct

  static Strategy random_walk(std::uint64_t seed) { return {Kind::random, seed, 0, 0}; }
  static Strategy pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps) {
    return {Kind::pct, seed, depth, expected_steps};
  }
  std::unique_ptr<ChoiceSource> make() const;
};

struct ScenarioRun {
  RunResult result;
  DecisionLog log;  // the decisions, replayable (when options.keep_decisions)
};

// Sets up a Simulation with `options` (its seed set to the strategy's), runs it once.
ScenarioRun run_scenario(const Scenario& scenario, Options options, const Strategy& strategy,
                         const std::string& scenario_name = {});

// Replays a decision log. Throws LogError when the log was made for another scenario or with
// other options (naming both). The result's outcome is `diverged` when the run stopped following
// the log, with the first step where it did; `reproduced` tells whether the trace hash matched.
struct ReplayResult {
  RunResult result;
  bool reproduced = false;
  // Each recorded fact the replay contradicts, as "field: the log says X, the replay gave Y".
  std::vector<std::string> mismatches;
  std::shared_ptr<const Trace> trace;  // with options.keep_trace: the replayed run's events
  std::string describe() const;
};
ReplayResult replay(const DecisionLog& log, const Scenario& scenario, Options options,
                    const std::string& scenario_name = {});

// Runs the same seed twice and compares. When the hashes differ, it reruns both with the full
// trace kept and names the first event that differs — the first sign of nondeterminism the
// simulator does not control (a wall clock, a real thread, rand(), iteration over pointers).
struct DeterminismReport {
  std::uint64_t first_hash = 0;
  std::uint64_t second_hash = 0;
  bool deterministic = false;
  std::optional<std::uint64_t> first_difference;  // event index
  std::string detail;
  std::string describe() const;
};
DeterminismReport check_determinism(const Scenario& scenario, Options options, const Strategy& strategy);

}  // namespace moira::sim
