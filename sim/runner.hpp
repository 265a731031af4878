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

// What a sweep learns from its runs so far: PCT's k (the run length) when none is given.
struct SweepMemory {
  std::uint64_t longest_run = 0;  // in steps
  std::uint64_t runs = 0;
};

// Which ChoiceSource a run uses, as a value (so sweeps can vary it).
struct Strategy {
  enum class Kind : std::uint8_t { random, pct, fair_pct, pos, delay_bounding, portfolio };
  static constexpr std::uint64_t kFirstGuess = 1000;  // k before a sweep has seen any run

  Kind kind = Kind::random;
  std::uint64_t seed = 1;
  unsigned depth = 2;                   // pct, fair_pct
  std::uint64_t expected_steps = 1000;  // pct, fair_pct; 0: learned (memory), or kFirstGuess
  std::uint64_t fair_after = 0;         // fair_pct: PCT for this many steps, then random (0: k)
  // delay_bounding: `depth` is the number of delays.
  // Shared by the runs of one sweep (copies of the strategy share it); run_scenario feeds it.
  std::shared_ptr<SweepMemory> memory;

  static Strategy random_walk(std::uint64_t seed) { return {Kind::random, seed, 0, 0, 0, nullptr}; }
  static Strategy pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps) {
    return {Kind::pct, seed, depth, expected_steps, 0, nullptr};
  }
  // k learned over the sweep: the longest run seen so far.
  static Strategy pct_learning(std::uint64_t seed, unsigned depth) {
    return {Kind::pct, seed, depth, 0, 0, std::make_shared<SweepMemory>()};
  }
  static Strategy fair_pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps,
                           std::uint64_t fair_after = 0) {
    return {Kind::fair_pct, seed, depth, expected_steps, fair_after, nullptr};
  }
  static Strategy pos(std::uint64_t seed) { return {Kind::pos, seed, 0, 0, 0, nullptr}; }
  static Strategy delay_bounding(std::uint64_t seed, unsigned delays, std::uint64_t expected_steps) {
    return {Kind::delay_bounding, seed, delays, expected_steps, 0, nullptr};
  }
  // A different strategy for each seed of a sweep, in turn: random, PCT d=2, PCT d=3, POS, delay
  // bounding with 2 delays (PCT's and delay bounding's k learned over the sweep).
  static Strategy portfolio(std::uint64_t seed) {
    return {Kind::portfolio, seed, 0, 0, 0, std::make_shared<SweepMemory>()};
  }
  // The k the next run uses.
  std::uint64_t steps_estimate() const;
  std::unique_ptr<ChoiceSource> make() const;
  // After a run: what the sweep learns from it.
  void learn(const RunResult& result) const;
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
