#pragma once
// Fault-injection scenarios that run by name: each builds a world in a fresh Simulation (nodes,
// processes, fault settings) and says, after the run, whether the invariants it promises held.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/runner.hpp"
#include "sim/simulation.hpp"

namespace moira::scenarios {

// What the invariants said about one run.
struct Verdict {
  bool ok = true;
  std::string why;  // when not ok: which invariant broke, with the figures
  static Verdict pass() { return {}; }
  static Verdict fail(std::string why) { return {false, std::move(why)}; }
};

// The scenario's own view of a run: built by setup, read by check after the run.
using Check = std::function<Verdict(const sim::RunResult&)>;

struct Scenario {
  std::string name;
  std::string summary;
  // A deliberately seeded bug: sweeps are expected to find seeds that break it.
  bool seeded_bug = false;
  sim::Options options;  // the scenario's settings; the seed is set per run
  // Builds the world; returns the check. Called once per run, on a fresh Simulation.
  std::function<Check(sim::Simulation&)> setup;
};

// The registered scenarios, in registration order: what the command line lists and runs. A user's
// own scenarios register themselves from their own files:
//
//   moira::scenarios::Scenario my_counter() { ... }   // builds the Scenario (name, options, setup)
//   MOIRA_SCENARIO(my_counter);
//
// and a binary that links moira::cli_main (or calls moira::cli::main(argc, argv)) is a command
// line with list, run, sweep, replay, shrink, trace and determinism for them.
const std::vector<Scenario>& all();
const Scenario* find(std::string_view name);
std::string names();  // "a, b, c" for error messages
// Throws std::invalid_argument when the name is empty, has spaces, or is taken. Register before
// main's command line runs: sweeps read the registry from several threads.
void add(Scenario s);
// moira's own scenarios (supervised-pool, ping-monitor, lost-update, retry-storm); idempotent.
void add_builtin();

struct Registration {
  explicit Registration(Scenario (*make)()) { add(make()); }
};

struct Outcome {
  sim::RunResult result;
  Verdict verdict;
  bool failed() const { return !verdict.ok || !result.ok(); }
  std::string why() const;
};

// Runs one seed of a scenario under a strategy; `keep` keeps the trace and decision log.
// `adjust`, when given, changes the scenario's options first (bounds, how much trace to keep).
struct RunArtifacts {
  Outcome outcome;
  sim::DecisionLog log;
  std::shared_ptr<const sim::Trace> trace;  // when kept
};
RunArtifacts run(const Scenario& s, const sim::Strategy& strategy, bool keep,
                 const std::function<void(sim::Options&)>& adjust = {});

// The setup step alone, as the simulator's runner wants it (for replay); the check is kept in
// `*check` so the caller can judge the replayed run too.
sim::Scenario as_sim_scenario(const Scenario& s, std::shared_ptr<Check> check);

}  // namespace moira::scenarios

// At namespace scope in the user's own .cpp (an object file of the binary, so the linker keeps it).
#define MOIRA_SCENARIO(make) \
  static const ::moira::scenarios::Registration moira_scenario_registration_##make { &make }
