#include "sim/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "sim/delay_bounding.hpp"
#include "sim/fair_pct.hpp"
#include "sim/pct.hpp"
#include "sim/pos.hpp"
#include "sim/random_walk.hpp"
#include "sim/replay_source.hpp"

namespace moira::sim {

std::uint64_t Strategy::steps_estimate() const {
  if (expected_steps != 0) return expected_steps;
  if (memory && memory->longest_run != 0) return memory->longest_run;
  return kFirstGuess;
}

std::unique_ptr<ChoiceSource> Strategy::make() const {
  switch (kind) {
    case Kind::random: return std::make_unique<RandomWalk>(seed);
    case Kind::pct: return std::make_unique<Pct>(seed, depth, steps_estimate());
    case Kind::fair_pct: return std::make_unique<FairPct>(seed, depth, steps_estimate(), fair_after);
    case Kind::pos: return std::make_unique<Pos>(seed);
    case Kind::delay_bounding: return std::make_unique<DelayBounding>(seed, depth, steps_estimate());
    case Kind::portfolio:
      switch (seed % 5) {
        case 0: return std::make_unique<RandomWalk>(seed);
        case 1: return std::make_unique<Pct>(seed, 2, steps_estimate());
        case 2: return std::make_unique<Pct>(seed, 3, steps_estimate());
        case 3: return std::make_unique<Pos>(seed);
        default: return std::make_unique<DelayBounding>(seed, 2, steps_estimate());
      }
  }
  return std::make_unique<RandomWalk>(seed);
}

void Strategy::learn(const RunResult& result) const {
  if (!memory) return;
  memory->longest_run = std::max(memory->longest_run, result.steps);
  ++memory->runs;
}

ScenarioRun run_scenario(const Scenario& scenario, Options options, const Strategy& strategy,
                         const std::string& scenario_name) {
  options.seed = strategy.seed;
  Simulation sim{std::move(options), strategy.make()};
  scenario(sim);
  ScenarioRun out;
  out.result = sim.run();
  strategy.learn(out.result);
  out.log = sim.decision_log(scenario_name);
  out.log.outcome = std::string{to_string(out.result.outcome)};
  return out;
}

std::string ReplayResult::describe() const {
  std::string out = fmt::format("{}: {}", reproduced ? "reproduced" : "not reproduced", result.describe());
  for (const auto& m : mismatches) out += "\n  " + m;
  return out;
}

namespace {
// The seed a strategy line names ("random seed=42", "pct depth=3 seed=7 steps=2000"), if any.
std::optional<std::uint64_t> seed_in(std::string_view strategy) {
  std::size_t at = strategy.find("seed=");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view digits = strategy.substr(at + 5);
  digits = digits.substr(0, digits.find(' '));
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// Everything the log recorded about its run's end, against what the replay did.
std::vector<std::string> compare(const DecisionLog& log, const RunResult& r, std::uint64_t steps) {
  std::vector<std::string> out;
  if (auto s = seed_in(log.strategy); s && *s != log.seed) {
    out.push_back(fmt::format("seed: the log says {}, but its strategy line says '{}'", log.seed, log.strategy));
  }
  if (r.trace_hash != log.trace_hash) {
    out.push_back(fmt::format("trace hash: the log says {:#018x}, the replay gave {:#018x}", log.trace_hash, r.trace_hash));
  }
  if (std::string_view outcome = to_string(r.outcome); !log.outcome.empty() && outcome != log.outcome) {
    out.push_back(fmt::format("outcome: the log says {}, the replay gave {}", log.outcome, outcome));
  }
  if (steps != log.steps) out.push_back(fmt::format("steps: the log says {}, the replay took {}", log.steps, steps));
  return out;
}
}  // namespace

ReplayResult replay(const DecisionLog& log, const Scenario& scenario, Options options,
                    const std::string& scenario_name) {
  if (log.scenario != scenario_name) {
    throw LogError(fmt::format("decision log is for scenario '{}', not '{}'", log.scenario, scenario_name));
  }
  options.seed = log.seed;
  if (std::uint64_t fp = fingerprint(options); fp != log.options_fingerprint) {
    throw LogError(fmt::format("decision log was recorded with options fingerprint {:#018x}; these options give {:#018x} "
                               "(max_steps, latency, fault rates, plan or relaxed_delivery differ)",
                               log.options_fingerprint, fp));
  }
  auto source = std::make_unique<ReplaySource>(log);
  ReplaySource* replay_source = source.get();
  Simulation sim{std::move(options), std::move(source)};
  scenario(sim);
  ReplayResult out;
  out.result = sim.run();
  if (!out.result.divergence) {
    replay_source->run_ended(sim.steps());
    if (const Divergence* d = replay_source->divergence()) {
      out.result.divergence = *d;
      out.result.outcome = Outcome::diverged;
    }
  }
  if (!out.result.divergence) out.mismatches = compare(log, out.result, sim.steps());
  out.reproduced = !out.result.divergence && out.mismatches.empty();
  if (sim.trace().keeping_events()) out.trace = std::make_shared<const Trace>(sim.take_trace());
  return out;
}

std::string DeterminismReport::describe() const {
  if (deterministic) return fmt::format("deterministic: both runs hash to {:#018x}", first_hash);
  std::string out = fmt::format("NOT deterministic: {:#018x} vs {:#018x}", first_hash, second_hash);
  if (first_difference) out += fmt::format("; first different event #{}", *first_difference);
  if (!detail.empty()) out += "\n" + detail;
  return out;
}

DeterminismReport check_determinism(const Scenario& scenario, Options options, const Strategy& strategy) {
  DeterminismReport report;
  report.first_hash = run_scenario(scenario, options, strategy).result.trace_hash;
  report.second_hash = run_scenario(scenario, options, strategy).result.trace_hash;
  report.deterministic = report.first_hash == report.second_hash;
  if (report.deterministic) return report;
  // Again, keeping the events, to say where the runs part.
  options.keep_trace = true;
  options.seed = strategy.seed;
  auto traced = [&] {
    auto sim = std::make_unique<Simulation>(options, strategy.make());
    scenario(*sim);
    sim->run();
    return sim;
  };
  auto a = traced();
  auto b = traced();
  const auto& ea = a->trace().events();
  const auto& eb = b->trace().events();
  std::size_t i = 0;
  auto same = [](const Event& x, const Event& y) {
    return x.step == y.step && x.time == y.time && x.kind == y.kind && x.a == y.a && x.b == y.b && x.x == y.x &&
           x.y == y.y && x.text == y.text;
  };
  while (i < ea.size() && i < eb.size() && same(ea[i], eb[i])) ++i;
  report.first_difference = i;
  report.detail = fmt::format("  run 1: {}\n  run 2: {}", i < ea.size() ? Trace::format_text(ea[i]) : "(ended)",
                              i < eb.size() ? Trace::format_text(eb[i]) : "(ended)");
  return report;
}

}  // namespace moira::sim
