#pragma once
// What the moira subcommands share: the strategy flags, exit codes from outcomes, report files.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "scenarios/scenario.hpp"

namespace CLI {
class App;
}

namespace moira::cli {

struct StrategyFlags {
  std::string kind = "random";
  unsigned pct_depth = 3;
  std::uint64_t pct_steps = 2000;  // k: pct, fair-pct, delay-bounding and portfolio
  unsigned delays = 2;             // delay-bounding

  sim::Strategy make(std::uint64_t seed) const;
  // The flags that select this strategy again, for reproduce lines ("" for the default).
  std::string flags() const;
};
void add_strategy_flags(CLI::App* app, StrategyFlags& s);

// Fault settings from the command line, over the scenario's own. They change the run, so they are
// part of the decision log's options fingerprint and of every reproduce line.
struct FaultFlags {
  bool swarm = false;
  bool relaxed = false;
  bool swarm_duplicate = false;
  std::optional<double> kill_per_second, crash_per_second, partition_per_second, drop_probability;
  std::optional<double> duplicate_probability;
  std::optional<std::uint64_t> latency_min_ms, latency_max_ms;
  std::optional<std::uint32_t> time_jumps;
  bool local_time_jumps = false, preempt_at_exit = false, buggify = false;
  std::optional<std::uint64_t> heal_at_ms, converge_within_ms;

  bool any() const;
  // The scenario with these settings over its own; "" or a one-line error with the fix.
  std::string apply(scenarios::Scenario& s) const;
  std::string flags() const;  // " --swarm --kill-rate 0.5 ..." ("" for none)
};
void add_fault_flags(CLI::App* app, FaultFlags& f);

// The scenario, or nullptr after saying which ones exist.
const scenarios::Scenario* find_or_explain(const std::string& name, std::ostream& err);
// A copy of the scenario with the fault flags over its settings; nullopt after saying what is wrong.
std::optional<scenarios::Scenario> find_with_faults(const std::string& name, const FaultFlags& faults, std::ostream& err);
int exit_for(const scenarios::Outcome& o);

// A failed write is an error, said with the system's reason: a full disk must not pass for a saved
// report. The file is checked after close, when buffered data has really been written.
bool write_file(const std::string& path, const std::string& text, std::ostream& err);
// Before a long sweep: can the report be written at all? (Better now than after an hour.)
bool check_writable(const std::string& path, std::ostream& err);

}  // namespace moira::cli
