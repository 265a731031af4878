#include "tools/cli_trace.hpp"

#include "tools/cli_numbers.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>

#include "sim/causal.hpp"
#include "sim/trace_html.hpp"
#include "sim/trace_perfetto.hpp"
#include "sim/trace_text.hpp"

namespace moira::cli {

namespace {

std::string jsonl(const sim::Trace& trace) {
  std::ostringstream out;
  trace.write_jsonl(out);
  return out.str();
}

// The filters of the text view, from the flags; an error message when one does not parse.
std::string make_filter(const TraceFlags& f, sim::TraceFilter& filter) {
  for (const auto& p : f.pids) {
    Pid pid;
    if (auto e = sim::parse_pid(p, pid); !e.empty()) return e;
    filter.pids.push_back(pid);
  }
  for (const auto& k : f.kinds) {
    sim::EventKind kind;
    if (auto e = sim::parse_kind(k, kind); !e.empty()) return e;
    filter.kinds.push_back(kind);
  }
  filter.names = f.names;
  filter.nodes = f.nodes;
  if (!f.steps.empty())
    if (auto e = sim::parse_step_window(f.steps, filter.step_from, filter.step_to); !e.empty()) return e;
  if (!f.times.empty())
    if (auto e = sim::parse_time_window(f.times, filter.time_from, filter.time_to); !e.empty()) return e;
  return {};
}

std::size_t event_at_step(const sim::TraceModel& m, std::uint64_t step) {
  std::size_t found = sim::kNone;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m.event(i).step == step && m.event(i).kind != sim::EventKind::decision) found = i;
  return found;
}

std::size_t without_decisions(const sim::TraceModel& m) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < m.size(); ++i) n += m.event(i).kind != sim::EventKind::decision;
  return n;
}

}  // namespace

std::string run_title(const std::string& scenario, std::uint64_t seed, const scenarios::Outcome& o) {
  const auto& r = o.result;
  return fmt::format("{} seed {}: {} — {} steps, {:.3f} s virtual, trace hash {:#018x}", scenario, seed,
                     o.failed() ? "FAILED: " + o.why() : "ok", r.steps,
                     std::chrono::duration<double>(r.virtual_time).count(), r.trace_hash);
}

std::string render_run_trace(const std::string& format, const scenarios::RunArtifacts& run, const std::string& title) {
  if (format == "json") return jsonl(*run.trace);
  sim::TraceModel model{*run.trace};
  const std::size_t failure = run.outcome.failed() ? sim::failure_event(model) : sim::kNone;
  if (format == "html") return sim::render_html(model, {title, failure, run.outcome.failed() ? run.outcome.why() : ""});
  if (format == "perfetto") return sim::render_perfetto(model, {title, failure});
  sim::TextOptions o;
  o.title = title;
  o.failure = failure;
  return sim::render_text(model, o);
}

void add_trace_flags(CLI::App* app, TraceFlags& f) {
  app->add_option("scenario", f.scenario, "scenario name (see moira list)")->required();
  add_number(app, "--seed", f.seed, std::uint64_t{0}, kMaxU64, "the seed");
  app->add_option("--log", f.log, "draw a replayed decision log (from run --save-log) instead of running a seed");
  app->add_option("--text", f.text_out, "write the text trace here (default: stdout, unless another view is asked for)");
  app->add_option("--html", f.html_out, "write the HTML sequence chart here (one self-contained file)");
  app->add_option("--perfetto", f.perfetto_out, "write Chrome trace-event JSON here (open it in the Perfetto UI)");
  app->add_option("--json", f.json_out, "write the raw events as JSON lines here");
  app->add_flag("--decisions", f.decisions, "text: show the scheduler's decisions (folded otherwise)");
  app->add_flag("--why", f.why, "text: only the causal past of the failure (or of --at STEP)");
  app->add_flag("--narrow", f.narrow, "a causal slice of only the round trips the failure closes: since the failing "
                                      "process last told the sender of what broke it (and the others it heard meanwhile)");
  app->add_option("--at", f.at_step, "the causal past of the last event of this step instead of the failure's (implies --why)")
      ->each([&f](const std::string&) { f.at_given = true; });
  app->add_option("--pid", f.pids, "text: only events of this process, e.g. <0.1.1> or <1.0.1>#2 (repeatable)");
  app->add_option("--name", f.names, "text: only events of the process registered under this name (repeatable)");
  app->add_option("--node", f.nodes, "text: only events on this node, by name or number (repeatable)");
  app->add_option("--kind", f.kinds, "text: only events of this kind: send, receive, exit, fault, ... (repeatable)");
  app->add_option("--steps", f.steps, "text: only steps FIRST..LAST");
  app->add_option("--time", f.times, "text: only virtual seconds FROM..TO, e.g. 0.05..0.1");
  add_number(app, "--last", f.last, std::uint64_t{0}, kMaxU64, "keep only the last N events of the run (bounded memory and output; 0: all)");
  app->add_option("--last-seconds", f.last_seconds, "keep only the events of the last T virtual seconds of the run");
  add_number(app, "--max-steps", f.max_steps, std::uint64_t{0}, kMaxU64, "end the run after this many steps (a liveness bound; 0: the scenario's)");
  add_fault_flags(app, f.faults);  // the same as run, sweep and replay: a reproduce line pastes here too
}

int cmd_trace(const TraceFlags& f, const sim::Strategy& strategy, std::ostream& out, std::ostream& err,
              int (*exit_for)(const scenarios::Outcome&)) {
  std::optional<scenarios::Scenario> with_faults = find_with_faults(f.scenario, f.faults, err);
  if (!with_faults) return 64;
  const scenarios::Scenario* s = &*with_faults;
  sim::TraceFilter filter;
  if (auto e = make_filter(f, filter); !e.empty()) {
    err << "moira trace: " << e << "\n";
    return 64;
  }
  if (!(f.last_seconds >= 0) || f.last_seconds > 1e9) {
    err << "moira trace: --last-seconds takes a number of virtual seconds, 0 or more\n";
    return 64;
  }
  auto adjust = [&](sim::Options& o) {
    o.keep_trace = true;
    o.trace_last_events = f.last;
    o.trace_last_window = Duration{static_cast<Duration::rep>(f.last_seconds * 1e9)};
    if (f.max_steps > 0) o.max_steps = f.max_steps;
  };
  scenarios::RunArtifacts run;
  std::uint64_t seed = strategy.seed;
  std::string source;
  if (f.log.empty()) {
    run = scenarios::run(*s, strategy, true, adjust);
  } else {
    try {
      sim::DecisionLog log = sim::DecisionLog::load(f.log);
      sim::Options o = s->options;
      adjust(o);
      auto check = std::make_shared<scenarios::Check>();
      sim::ReplayResult r = sim::replay(log, scenarios::as_sim_scenario(*s, check), o, s->name);
      run.outcome = {r.result, *check ? (*check)(r.result) : scenarios::Verdict::fail("no check")};
      run.trace = r.trace;
      seed = log.seed;
      source = fmt::format(" ({} from {})", r.reproduced ? "replayed" : "NOT reproduced", f.log);
    } catch (const sim::LogError& e) {
      err << fmt::format("moira trace: {}\n", e.what());
      return 64;
    }
  }
  const std::string title = run_title(s->name, seed, run.outcome) + source;
  sim::TraceModel model{*run.trace};
  const std::size_t failure = run.outcome.failed() ? sim::failure_event(model) : sim::kNone;

  bool files = !f.html_out.empty() || !f.perfetto_out.empty() || !f.json_out.empty();
  if (!f.html_out.empty()) {
    std::string why = run.outcome.failed() ? run.outcome.why() : "";
    if (!write_file(f.html_out, sim::render_html(model, {title, failure, why}), err)) return 64;
    out << fmt::format("wrote {}: sequence chart of {} events, {} processes\n", f.html_out, model.size(), model.lanes().size());
  }
  if (!f.perfetto_out.empty()) {
    if (!write_file(f.perfetto_out, sim::render_perfetto(model, {title, failure}), err)) return 64;
    out << fmt::format("wrote {}: Chrome trace-event JSON (open it at ui.perfetto.dev)\n", f.perfetto_out);
  }
  if (!f.json_out.empty()) {
    if (!write_file(f.json_out, jsonl(*run.trace), err)) return 64;
    out << fmt::format("wrote {}: {} events as JSON lines\n", f.json_out, model.size());
  }
  if (!files || !f.text_out.empty()) {
    sim::TextOptions o;
    o.title = title;
    o.filter = filter;
    o.decisions = f.decisions;
    o.failure = failure;
    std::vector<bool> keep;
    if (f.why || f.narrow || f.at_given) {
      std::size_t target = f.at_given ? event_at_step(model, f.at_step) : sim::failure_event(model);
      if (target == sim::kNone) {
        err << fmt::format("moira trace: no event at step {} to explain (the text trace shows each event's step)\n", f.at_step);
        return 64;
      }
      sim::Slice slice = sim::why(model, target, f.narrow);
      keep = slice.keep;
      o.slice = &keep;
      o.slice_note = fmt::format("why: the causal past of step {} ({}){}: {} of {} events ({} not counting decisions)",
                                 model.event(target).step, to_string(model.event(target).kind),
                                 slice.since == sim::kNone ? std::string{}
                                                           : fmt::format(", since step {}", model.event(slice.since).step),
                                 slice.size, model.size(), without_decisions(model));
    }
    std::string text = sim::render_text(model, o);
    if (f.text_out.empty() || f.text_out == "-") {
      out << text;
    } else {
      if (!write_file(f.text_out, text, err)) return 64;
      out << fmt::format("wrote {}: the text trace\n", f.text_out);
    }
  }
  return exit_for(run.outcome);
}

}  // namespace moira::cli
