#include "tools/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>

#include "scenarios/scenario.hpp"
#include "tools/cli_numbers.hpp"
#include "tools/cli_trace.hpp"
#include "tools/shrink.hpp"

namespace moira::cli {
namespace {

constexpr std::uint64_t kMaxSeeds = 1'000'000'000;  // a month of sweeping: more is a typo
constexpr unsigned kMaxPctDepth = 64;
constexpr std::uint64_t kMaxPctSteps = 1'000'000'000;

struct StrategyFlags {
  std::string kind = "random";
  unsigned pct_depth = 3;
  std::uint64_t pct_steps = 2000;

  sim::Strategy make(std::uint64_t seed) const {
    if (kind == "fair-pct") return sim::Strategy::fair_pct(seed, pct_depth, pct_steps);
    if (kind == "pos") return sim::Strategy::pos(seed);
    return kind == "pct" ? sim::Strategy::pct(seed, pct_depth, pct_steps) : sim::Strategy::random_walk(seed);
  }
  std::string flags() const {
    if (kind == "random" || kind == "pos") return kind == "pos" ? " --strategy pos" : "";
    return fmt::format(" --strategy {} --pct-depth {} --pct-steps {}", kind, pct_depth, pct_steps);
  }
};

void add_strategy_flags(CLI::App* app, StrategyFlags& s) {
  app->add_option("--strategy", s.kind,
                  "random (a seeded random walk), pct (PCT, Burckhardt et al. 2010), fair-pct (PCT, then random "
                  "after --pct-steps, so liveness failures can be trusted) or pos (partial-order sampling)")
      ->check(CLI::IsMember({"random", "pct", "fair-pct", "pos"}))
      ->capture_default_str();
  add_number(app, "--pct-depth", s.pct_depth, 1u, kMaxPctDepth, "PCT bug depth d (d-1 priority change points)");
  add_number(app, "--pct-steps", s.pct_steps, std::uint64_t{1}, kMaxPctSteps, "PCT: the expected number of steps of a run");
}

const scenarios::Scenario* find_or_explain(const std::string& name, std::ostream& err) {
  const scenarios::Scenario* s = scenarios::find(name);
  if (!s) err << fmt::format("moira: unknown scenario '{}'. Known scenarios: {} (moira list describes them)\n", name, scenarios::names());
  return s;
}

int exit_for(const scenarios::Outcome& o) {
  if (!o.verdict.ok) return Exit::correctness;
  if (o.result.failure) {
    return o.result.failure->kind == sim::Failure::Kind::require ? Exit::correctness : Exit::liveness;
  }
  if (o.result.outcome == sim::Outcome::deadlocked && !o.result.ok()) return Exit::liveness;
  if (o.result.outcome == sim::Outcome::bound_exceeded) return Exit::liveness;
  if (o.result.outcome == sim::Outcome::diverged) return Exit::not_reproduced;
  return Exit::ok;
}

// A failed write is an error, said with the system's reason: a full disk must not pass for a saved
// report. The file is checked after close, when buffered data has really been written.
bool write_file(const std::string& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) {
    f << text;
    f.close();
  }
  if (!f) {
    err << fmt::format("moira: cannot write {}: {}\n", path, std::strerror(errno));
    return false;
  }
  return true;
}

// Before a long sweep: can the report be written at all? (Better now than after an hour.)
bool check_writable(const std::string& path, std::ostream& err) {
  std::ofstream f(path, std::ios::binary | std::ios::app);
  if (!f) {
    err << fmt::format("moira: cannot write {}: {}\n", path, std::strerror(errno));
    return false;
  }
  return true;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
int cmd_list(std::ostream& out) {
  for (auto& s : scenarios::all()) out << fmt::format("{:<18} {}{}\n", s.name, s.seeded_bug ? "[seeded bug] " : "", s.summary);
  return Exit::ok;
}

int cmd_run(const std::string& name, std::uint64_t seed, const StrategyFlags& strategy, const std::string& trace,
            const std::string& trace_out, const std::string& save_log, std::ostream& out, std::ostream& err) {
  const scenarios::Scenario* s = find_or_explain(name, err);
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

int cmd_sweep(std::vector<std::string> names, bool all_scenarios, std::uint64_t first, std::uint64_t count,
              const StrategyFlags& strategy, const std::string& junit, bool expect_failures, std::ostream& out,
              std::ostream& err) {
  if (all_scenarios) {
    for (auto& s : scenarios::all())
      if (!s.seeded_bug) names.push_back(s.name);
  }
  if (names.empty()) {
    err << fmt::format("moira sweep: name a scenario, or --all. Known scenarios: {}\n", scenarios::names());
    return Exit::usage;
  }
  if (!junit.empty() && !check_writable(junit, err)) return Exit::usage;
  std::vector<const scenarios::Scenario*> list;
  for (auto& n : names) {
    const scenarios::Scenario* s = find_or_explain(n, err);
    if (!s) return Exit::usage;
    list.push_back(s);
  }
  // Wall clock for progress and seeds/s only: it never reaches a simulation.
  using Clock = std::chrono::steady_clock;
  bool tty = ::isatty(STDERR_FILENO) == 1;
  std::string xml;
  int worst = Exit::ok;
  std::uint64_t total_failures = 0;
  for (const scenarios::Scenario* s : list) {
    auto start = Clock::now();
    auto last_report = start;
    std::uint64_t failures = 0;
    std::optional<std::uint64_t> first_failure;
    std::string cases;
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t seed = first + i;
      auto run = scenarios::run(*s, strategy.make(seed), false);
      double secs = std::chrono::duration<double>(Clock::now() - start).count();
      bool failed = run.outcome.failed();
      if (failed) {
        ++failures;
        if (!first_failure) first_failure = seed;
        if (failures <= 5) {
          err << fmt::format("{}{} seed {}: {}\n  reproduce: moira run {} --seed {}{}\n", tty ? "\r\033[K" : "", s->name,
                             seed, run.outcome.why(), s->name, seed, strategy.flags());
        } else if (failures == 6) {
          err << fmt::format("{}(further failures are counted, not listed; --junit lists them all)\n", tty ? "\r\033[K" : "");
        }
        int code = exit_for(run.outcome);
        if (!expect_failures && code > worst) worst = code;
      }
      if (!junit.empty()) {
        cases += fmt::format("    <testcase classname=\"{}\" name=\"seed {}\">{}</testcase>\n", xml_escape(s->name), seed,
                             failed ? fmt::format("<failure message=\"{}\">moira run {} --seed {}{}</failure>",
                                                  xml_escape(run.outcome.why()), xml_escape(s->name), seed, strategy.flags())
                                    : "");
      }
      auto now = Clock::now();
      bool last = i + 1 == count;
      if (last || now - last_report >= std::chrono::milliseconds(tty ? 200 : 5000)) {
        last_report = now;
        err << fmt::format("{}{}: {}/{} seeds, {:.0f} seeds/s, {} failed{}", tty ? "\r\033[K" : "", s->name, i + 1, count,
                           static_cast<double>(i + 1) / std::max(secs, 1e-9), failures, tty && !last ? "" : "\n");
      }
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    total_failures += failures;
    if (expect_failures) {
      if (failures == 0) {
        out << fmt::format("{}: expected failures, found none in {} seeds\n", s->name, count);
        worst = std::max(worst, static_cast<int>(Exit::correctness));
        continue;
      }
      // The failing seed must replay exactly from its saved decision log.
      auto failing = scenarios::run(*s, strategy.make(*first_failure), true);
      auto check = std::make_shared<scenarios::Check>();
      auto replayed = sim::replay(failing.log, scenarios::as_sim_scenario(*s, check), s->options, s->name);
      bool again = replayed.reproduced && *check && !(*check)(replayed.result).ok;
      out << fmt::format("{}: found the seeded bug in {} of {} seeds; first at seed {}, which replays from its decision log: {}\n",
                         s->name, failures, count, *first_failure, again ? "reproduced exactly" : "NOT reproduced");
      if (!again) worst = std::max(worst, static_cast<int>(Exit::not_reproduced));
    } else {
      out << fmt::format("{}: {} seeds in {:.1f} s, {} failed\n", s->name, count, secs, failures);
    }
    xml += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n{}  </testsuite>\n",
                       xml_escape(s->name), count, failures, secs, cases);
  }
  if (!junit.empty() && !write_file(junit, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n" + xml + "</testsuites>\n", err)) {
    return Exit::usage;
  }
  (void)total_failures;
  return worst;
}

int cmd_replay(const std::string& name, const std::string& path, std::ostream& out, std::ostream& err) {
  const scenarios::Scenario* s = find_or_explain(name, err);
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
    err << fmt::format("moira replay: {}\n", e.what());
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

}  // namespace

int main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"moira: run fault-injection scenarios on the deterministic simulator"};
  app.require_subcommand(1);

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

  auto* sweep = app.add_subcommand("sweep", "run many seeds of scenarios; report failures with a line that reproduces each");
  std::vector<std::string> sweep_names;
  bool sweep_all = false, expect_failures = false;
  std::uint64_t first = 1, count = 1000;
  std::string junit;
  StrategyFlags sweep_strategy;
  sweep->add_option("scenarios", sweep_names, "scenario names");
  sweep->add_flag("--all", sweep_all, "every scenario without a seeded bug");
  add_number(sweep, "--seeds", count, std::uint64_t{1}, kMaxSeeds, "how many seeds");
  add_number(sweep, "--first-seed", first, std::uint64_t{0}, kMaxU64, "the first seed");
  add_strategy_flags(sweep, sweep_strategy);
  sweep->add_option("--junit", junit, "write JUnit XML here (one test case per seed)");
  sweep->add_flag("--expect-failures", expect_failures,
                  "for seeded-bug scenarios: succeed only if failures are found and the first replays exactly");

  auto* replay = app.add_subcommand("replay", "replay a saved decision log and check it reproduces the run");
  std::string replay_name, replay_path;
  replay->add_option("scenario", replay_name, "scenario name")->required();
  replay->add_option("log", replay_path, "decision log file (from run --save-log)")->required();

  auto* trace_cmd = app.add_subcommand("trace", "draw one run (a seed, or a replayed --log) for a person: readable text "
                                                "with filters and causal slices (--why), --html, --perfetto");
  TraceFlags trace_flags;
  StrategyFlags trace_strategy;
  add_trace_flags(trace_cmd, trace_flags);
  add_strategy_flags(trace_cmd, trace_strategy);
  auto* shrink = app.add_subcommand("shrink", "shrink a failing run to a minimal one that breaks the same invariant");
  ShrinkRequest shrink_rq;
  shrink->add_option("scenario", shrink_rq.scenario, "scenario name")->required();
  add_number(shrink, "--seed", shrink_rq.seed, std::uint64_t{0}, kMaxU64, "the failing seed (random walk)");
  shrink->add_option("--log", shrink_rq.log_path, "or a saved decision log of the failing run");
  shrink->add_option("--out", shrink_rq.out_path, "where to save the shrunk log (default <scenario>-<seed>.shrunk.log)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return Exit::ok;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return Exit::ok;
  } catch (const CLI::ParseError& e) {
    err << fmt::format("moira: {} (see moira --help, or moira <command> --help)\n", e.what());
    return Exit::usage;
  }
  if (app.got_subcommand("sweep") && count - 1 > kMaxU64 - first) {
    err << fmt::format("moira sweep: --first-seed {} with --seeds {} runs past the last seed, {}\n", first, count, kMaxU64);
    return Exit::usage;
  }
  int code = Exit::ok;
  if (app.got_subcommand("list")) {
    code = cmd_list(out);
  } else if (app.got_subcommand("shrink")) {
    code = cmd_shrink(shrink_rq, out, err);
  } else if (app.got_subcommand("run")) {
    code = cmd_run(run_name, seed, run_strategy, trace, trace_out, save_log, out, err);
  } else if (app.got_subcommand("trace")) {
    code = cmd_trace(trace_flags, trace_strategy.make(trace_flags.seed), out, err, &exit_for);
  } else if (app.got_subcommand("sweep")) {
    code = cmd_sweep(sweep_names, sweep_all, first, count, sweep_strategy, junit, expect_failures, out, err);
  } else {
    code = cmd_replay(replay_name, replay_path, out, err);
  }
  // What was printed must have reached its reader (a full disk, a closed pipe): else it is lost.
  out.flush();
  if (!out) {
    err << "moira: writing the output failed (is the disk full, or the pipe closed?)\n";
    return Exit::usage;
  }
  return code;
}

}  // namespace moira::cli
