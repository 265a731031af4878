#include "tools/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <ostream>
#include <sstream>
#include <tuple>

#include "scenarios/scenario.hpp"
#include "tools/cli_common.hpp"
#include "tools/cli_determinism.hpp"
#include "tools/cli_explore.hpp"
#include "tools/cli_numbers.hpp"
#include "tools/cli_trace.hpp"
#include "tools/shrink.hpp"
#include "tools/sweep.hpp"

#ifndef MOIRA_VERSION
#define MOIRA_VERSION "unknown"
#endif

namespace moira::cli {
namespace {

constexpr std::uint64_t kMaxSeeds = 1'000'000'000;  // a month of sweeping: more is a typo
constexpr unsigned kMaxJobs = 256;
constexpr std::uint64_t kMaxBudgetSeconds = 7 * 24 * 3600;

// ---------------------------------------------------------------------------------------------
int cmd_list(std::ostream& out) {
  for (auto& s : scenarios::all()) out << fmt::format("{:<18} {}{}\n", s.name, s.seeded_bug ? "[seeded bug] " : "", s.summary);
  return Exit::ok;
}

int cmd_run(const std::string& name, std::uint64_t seed, const StrategyFlags& strategy, const FaultFlags& faults,
            const std::string& trace, const std::string& trace_out, const std::string& save_log, std::ostream& out,
            std::ostream& err) {
  const std::optional<scenarios::Scenario> s = find_with_faults(name, faults, err);
  if (!s) return Exit::usage;
  bool keep = !trace.empty() || !save_log.empty();
  auto run = scenarios::run(*s, strategy.make(seed), keep);
  if (!trace.empty()) {
    if (trace_out.empty() && (trace == "html" || trace == "perfetto")) {
      err << fmt::format("moira run: --trace {} writes a file: add --trace-out FILE\n", trace);
      return Exit::usage;
    }
    const std::string text = render_run_trace(trace, run, run_title(name, seed, run.outcome));
    if (trace_out.empty()) {
      out << text;
    } else if (!write_file(trace_out, text, err)) {
      return Exit::usage;
    }
  }
  if (!save_log.empty()) {
    std::ostringstream log;
    run.log.write(log);
    if (!write_file(save_log, log.str(), err)) return Exit::usage;
  }
  const auto& r = run.outcome.result;
  out << fmt::format("{} seed {}: {} — {} steps, {} virtual, trace hash {:#018x}\n", name, seed,
                     run.outcome.failed() ? "FAILED: " + run.outcome.why() : "ok", r.steps,
                     fmt::format("{:.3f} s", std::chrono::duration<double>(r.virtual_time).count()), r.trace_hash);
  if (run.outcome.failed()) out << r.describe() << "\n";
  return exit_for(run.outcome);
}

int cmd_replay(const std::string& name, const std::string& path, const FaultFlags& faults, std::ostream& out,
               std::ostream& err) {
  const std::optional<scenarios::Scenario> s = find_with_faults(name, faults, err);
  if (!s) return Exit::usage;
  sim::DecisionLog log;
  try {
    log = sim::DecisionLog::load(path);
  } catch (const sim::LogError& e) {
    err << fmt::format("moira replay: {}\n", e.what());
    return Exit::usage;
  }
  auto check = std::make_shared<scenarios::Check>();
  sim::ReplayResult r;
  try {
    r = sim::replay(log, scenarios::as_sim_scenario(*s, check), s->options, s->name);
  } catch (const sim::LogError& e) {
    const bool options = std::string_view{e.what()}.find("options fingerprint") != std::string_view::npos;
    err << fmt::format("moira replay: {}{}\n", e.what(),
                       options ? "; give replay the fault flags the run had (--swarm, --relaxed-delivery, rates, latency)" : "");
    return Exit::usage;
  }
  scenarios::Outcome o{r.result, *check ? (*check)(r.result) : scenarios::Verdict::fail("no check")};
  out << fmt::format("{} seed {} replayed: {}; {}\n", name, log.seed, r.describe(), o.failed() ? "FAILED: " + o.why() : "ok");
  if (!r.reproduced) {
    err << fmt::format("moira replay: {} does not reproduce its run: {}\n", path,
                       r.mismatches.empty() ? "it diverged (see above)" : fmt::format("{}", fmt::join(r.mismatches, "; ")));
    return Exit::not_reproduced;
  }
  return exit_for(o);
}

// The name the reproduce lines give: the binary that has these scenarios registered.
std::string program_name(int argc, const char* const* argv) {
  if (argc < 1 || !argv[0] || !*argv[0]) return "moira";
  std::string_view p = argv[0];
  return std::string{p.substr(p.find_last_of('/') + 1)};
}

}  // namespace

int main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"moira: run fault-injection scenarios on the deterministic simulator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "moira " MOIRA_VERSION);

  app.add_subcommand("list", "list the scenarios");

  auto* run = app.add_subcommand("run", "run one seed of a scenario; print its outcome (and trace)");
  std::string run_name, trace, trace_out, save_log;
  std::uint64_t seed = 1;
  StrategyFlags run_strategy;
  run->add_option("scenario", run_name, "scenario name (see moira list)")->required();
  add_number(run, "--seed", seed, std::uint64_t{0}, kMaxU64, "the seed");
  add_strategy_flags(run, run_strategy);
  run->add_option("--trace", trace, "print the trace: text (readable), json (JSON lines), html (sequence chart) or "
                                   "perfetto (Chrome trace-event JSON); moira trace has filters and causal slices")
      ->check(CLI::IsMember({"text", "json", "html", "perfetto"}));
  run->add_option("--trace-out", trace_out, "write the trace to this file instead of stdout");
  run->add_option("--save-log", save_log, "save the decision log, to replay this run exactly");
  FaultFlags run_faults;
  add_fault_flags(run, run_faults);

  auto* sweep = app.add_subcommand("sweep", "run many seeds of scenarios; report failures with a line that reproduces each");
  SweepRequest sweep_rq;
  sweep_rq.program = program_name(argc, argv);
  sweep->add_option("scenarios", sweep_rq.names, "scenario names");
  sweep->add_flag("--all", sweep_rq.all, "every scenario without a seeded bug");
  add_number(sweep, "--seeds", sweep_rq.count, std::uint64_t{1}, kMaxSeeds, "how many seeds");
  add_number(sweep, "--first-seed", sweep_rq.first, std::uint64_t{0}, kMaxU64, "the first seed");
  add_number(sweep, "--jobs", sweep_rq.jobs, 1u, kMaxJobs, "run seeds on this many threads (same results for every N)");
  sweep->add_option("--shard", sweep_rq.shard, "i/n: run only the i-th of n disjoint parts of the seeds (for CI matrices)")
      ->type_name("I/N");
  add_number(sweep, "--time-budget", sweep_rq.time_budget_s, std::uint64_t{0}, kMaxBudgetSeconds,
             "seconds of wall time; then start no more seeds, and say which ones remain (0: no budget)");
  add_strategy_flags(sweep, sweep_rq.strategy);
  add_fault_flags(sweep, sweep_rq.faults);
  sweep->add_option("--junit", sweep_rq.junit, "write JUnit XML here (per scenario: the passing seeds, and each failing seed)");
  sweep->add_flag("--expect-failures", sweep_rq.expect_failures,
                  "for seeded-bug scenarios: succeed only if failures are found and the first replays exactly");

  auto* determinism = app.add_subcommand("determinism", "run each seed twice and check the runs are the same (trace hashes)");
  std::vector<std::string> det_names;
  std::uint64_t det_first = 1, det_count = 20;
  StrategyFlags det_strategy;
  determinism->add_option("scenarios", det_names, "scenario names (default: all)");
  add_number(determinism, "--seeds", det_count, std::uint64_t{1}, kMaxSeeds, "how many seeds");
  add_number(determinism, "--first-seed", det_first, std::uint64_t{0}, kMaxU64, "the first seed");
  add_strategy_flags(determinism, det_strategy);
  FaultFlags det_faults;
  add_fault_flags(determinism, det_faults);

  auto* explore = app.add_subcommand("explore", "check every schedule of a small scenario (DPOR): the count covered, "
                                                "whether exhaustive, the first failure as a replayable log");
  ExploreRequest explore_rq;
  explore_rq.program = program_name(argc, argv);
  explore->add_option("scenario", explore_rq.scenario, "scenario name")->required();
  add_number(explore, "--max-runs", explore_rq.max_runs, std::uint64_t{1}, kMaxSeeds, "stop after this many runs");
  explore->add_flag("--dpor,!--no-dpor", explore_rq.dpor, "partial-order reduction (default), or plain DFS over every schedule");
  explore->add_option("--save-log", explore_rq.save_log, "where to save the first failure's log (default <scenario>.explore.log)");

  auto* replay = app.add_subcommand("replay", "replay a saved decision log and check it reproduces the run");
  std::string replay_name, replay_path;
  replay->add_option("scenario", replay_name, "scenario name")->required();
  replay->add_option("log", replay_path, "decision log file (from run --save-log)")->required();
  FaultFlags replay_faults;
  add_fault_flags(replay, replay_faults);  // as the run had them: they are part of the log's options

  auto* trace_cmd = app.add_subcommand("trace", "draw one run (a seed, or a replayed --log) for a person: readable text "
                                                "with filters and causal slices (--why), --html, --perfetto");
  TraceFlags trace_flags;
  StrategyFlags trace_strategy;
  add_trace_flags(trace_cmd, trace_flags);
  add_strategy_flags(trace_cmd, trace_strategy);
  auto* shrink = app.add_subcommand("shrink", "shrink a failing run to a minimal one that breaks the same invariant");
  ShrinkRequest shrink_rq;
  shrink_rq.program = sweep_rq.program;
  shrink->add_option("scenario", shrink_rq.scenario, "scenario name")->required();
  add_number(shrink, "--seed", shrink_rq.seed, std::uint64_t{0}, kMaxU64, "the failing seed (random walk)");
  shrink->add_option("--log", shrink_rq.log_path, "or a saved decision log of the failing run");
  shrink->add_option("--out", shrink_rq.out_path, "where to save the shrunk log (default <scenario>-<seed>.shrunk.log)");
  add_fault_flags(shrink, shrink_rq.faults);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return Exit::ok;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return Exit::ok;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return Exit::ok;
  } catch (const CLI::ParseError& e) {
    err << fmt::format("moira: {} (see moira --help, or moira <command> --help)\n", e.what());
    return Exit::usage;
  }
  for (auto [sub, first, count] : {std::tuple{"sweep", sweep_rq.first, sweep_rq.count}, std::tuple{"determinism", det_first, det_count}}) {
    if (app.got_subcommand(sub) && count - 1 > kMaxU64 - first) {
      err << fmt::format("moira {}: --first-seed {} with --seeds {} runs past the last seed, {}\n", sub, first, count, kMaxU64);
      return Exit::usage;
    }
  }
  int code = Exit::ok;
  if (app.got_subcommand("list")) {
    code = cmd_list(out);
  } else if (app.got_subcommand("shrink")) {
    code = cmd_shrink(shrink_rq, out, err);
  } else if (app.got_subcommand("run")) {
    code = cmd_run(run_name, seed, run_strategy, run_faults, trace, trace_out, save_log, out, err);
  } else if (app.got_subcommand("trace")) {
    code = cmd_trace(trace_flags, trace_strategy.make(trace_flags.seed), out, err, &exit_for);
  } else if (app.got_subcommand("sweep")) {
    code = cmd_sweep(sweep_rq, out, err);
  } else if (app.got_subcommand("explore")) {
    code = cmd_explore(explore_rq, out, err);
  } else if (app.got_subcommand("determinism")) {
    code = cmd_determinism(det_names, det_first, det_count, det_strategy, det_faults, out, err);
  } else {
    code = cmd_replay(replay_name, replay_path, replay_faults, out, err);
  }
  // What was printed must have reached its reader (a full disk, a closed pipe): else it is lost.
  out.flush();
  if (!out) {
    err << "moira: writing the output failed (is the disk full, or the pipe closed?)\n";
    return Exit::usage;
  }
  return code;
}

int main(int argc, char** argv) { return main(argc, argv, std::cout, std::cerr); }

}  // namespace moira::cli
