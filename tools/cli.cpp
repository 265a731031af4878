#include "tools/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>

#include "scenarios/scenario.hpp"
#include "tools/shrink.hpp"

namespace moira::cli {
namespace {

struct StrategyFlags {
  std::string kind = "random";
  unsigned pct_depth = 3;
  std::uint64_t pct_steps = 2000;

  sim::Strategy make(std::uint64_t seed) const {
    return kind == "pct" ? sim::Strategy::pct(seed, pct_depth, pct_steps) : sim::Strategy::random_walk(seed);
  }
  std::string flags() const {
    return kind == "pct" ? fmt::format(" --strategy pct --pct-depth {} --pct-steps {}", pct_depth, pct_steps) : "";
  }
};

void add_strategy_flags(CLI::App* app, StrategyFlags& s) {
  app->add_option("--strategy", s.kind, "random (a seeded random walk) or pct (PCT, Burckhardt et al. 2010)")
      ->check(CLI::IsMember({"random", "pct"}))
      ->capture_default_str();
  app->add_option("--pct-depth", s.pct_depth, "PCT bug depth d (d-1 priority change points)")->capture_default_str();
  app->add_option("--pct-steps", s.pct_steps, "PCT: the expected number of steps of a run")->capture_default_str();
}

const scenarios::Scenario* find_or_explain(const std::string& name, std::ostream& err) {
  const scenarios::Scenario* s = scenarios::find(name);
  if (!s) err << fmt::format("moira: unknown scenario '{}'. Known scenarios: {} (moira list describes them)\n", name, scenarios::names());
  return s;
}

int exit_for(const scenarios::Outcome& o) {
  if (!o.verdict.ok) return Exit::correctness;
  if (o.result.outcome == sim::Outcome::bound_exceeded) return Exit::liveness;
  if (o.result.outcome == sim::Outcome::diverged) return Exit::not_reproduced;
  return Exit::ok;
}

bool write_file(const std::string& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path);
  f << text;
  if (!f) {
    err << fmt::format("moira: cannot write {}\n", path);
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
    const std::string& text = trace == "json" ? run.trace_json : run.trace_text;
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
  if (!r.reproduced) return Exit::not_reproduced;
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
  run->add_option("--seed", seed, "the seed")->capture_default_str();
  add_strategy_flags(run, run_strategy);
  run->add_option("--trace", trace, "print the trace: text or json (JSON lines)")->check(CLI::IsMember({"text", "json"}));
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
  sweep->add_option("--seeds", count, "how many seeds (at least 1)")->capture_default_str();
  sweep->add_option("--first-seed", first, "the first seed")->capture_default_str();
  add_strategy_flags(sweep, sweep_strategy);
  sweep->add_option("--junit", junit, "write JUnit XML here (one test case per seed)");
  sweep->add_flag("--expect-failures", expect_failures,
                  "for seeded-bug scenarios: succeed only if failures are found and the first replays exactly");

  auto* replay = app.add_subcommand("replay", "replay a saved decision log and check it reproduces the run");
  std::string replay_name, replay_path;
  replay->add_option("scenario", replay_name, "scenario name")->required();
  replay->add_option("log", replay_path, "decision log file (from run --save-log)")->required();

  auto* shrink = app.add_subcommand("shrink", "shrink a failing run to a minimal one that breaks the same invariant");
  ShrinkRequest shrink_rq;
  shrink->add_option("scenario", shrink_rq.scenario, "scenario name")->required();
  shrink->add_option("--seed", shrink_rq.seed, "the failing seed (random walk)")->capture_default_str();
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
    err << fmt::format("moira: {}\nRun 'moira --help' (or 'moira <command> --help') for usage.\n", e.what());
    return Exit::usage;
  }
  if (app.got_subcommand("sweep") && count == 0) {
    err << "moira sweep: --seeds must be at least 1\n";
    return Exit::usage;
  }
  if (app.got_subcommand("list")) return cmd_list(out);
  if (app.got_subcommand("shrink")) return cmd_shrink(shrink_rq, out, err);
  if (app.got_subcommand("run")) return cmd_run(run_name, seed, run_strategy, trace, trace_out, save_log, out, err);
  if (app.got_subcommand("sweep"))
    return cmd_sweep(sweep_names, sweep_all, first, count, sweep_strategy, junit, expect_failures, out, err);
  return cmd_replay(replay_name, replay_path, out, err);
}

}  // namespace moira::cli
