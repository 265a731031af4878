#include <stdexcept>

#include "scenarios/scenario.hpp"

#include <fmt/format.h>

namespace moira::scenarios {
namespace {
// A function-local static: registrations run during static initialisation, in any file order.
std::vector<Scenario>& registry() {
  static std::vector<Scenario> list;
  return list;
}
}  // namespace

const std::vector<Scenario>& all() { return registry(); }

void add(Scenario s) {
  if (s.name.empty() || s.name.find_first_of(" \t\n'\"") != std::string::npos) {
    throw std::invalid_argument("moira: a scenario needs a name without spaces or quotes (it is typed on command lines), not '" +
                                s.name + "'");
  }
  if (find(s.name)) throw std::invalid_argument("moira: two scenarios are named '" + s.name + "': rename one");
  if (!s.setup) throw std::invalid_argument("moira: scenario '" + s.name + "' has no setup: set Scenario::setup");
  registry().push_back(std::move(s));
}

const Scenario* find(std::string_view name) {
  for (auto& s : all())
    if (s.name == name) return &s;
  return nullptr;
}

std::string names() {
  std::string out;
  for (auto& s : all()) out += (out.empty() ? "" : ", ") + s.name;
  return out.empty() ? "none registered (MOIRA_SCENARIO registers one)" : out;
}

std::string Outcome::why() const {
  if (!verdict.ok) return "invariant broken: " + verdict.why;
  if (result.failure) {
    return (result.failure->kind == sim::Failure::Kind::require ? "invariant broken: " : "liveness: ") +
           result.failure->describe();
  }
  if (result.outcome == sim::Outcome::bound_exceeded) return "liveness: bound exceeded (" + result.bound + ")";
  if (result.outcome == sim::Outcome::diverged) return "replay diverged";
  if (result.outcome == sim::Outcome::deadlocked && !result.ok()) {
    return fmt::format("deadlock: {} process(es) left waiting in receive (if idle servers are expected, the scenario "
                       "declares options.waiting_at_end = sim::WaitingAtEnd::fine)",
                       result.blocked.size());
  }
  return "ok";
}

sim::Scenario as_sim_scenario(const Scenario& s, std::shared_ptr<Check> check) {
  return [&s, check](sim::Simulation& sim) { *check = s.setup(sim); };
}

RunArtifacts run(const Scenario& s, const sim::Strategy& strategy, bool keep,
                 const std::function<void(sim::Options&)>& adjust) {
  sim::Options o = s.options;
  if (adjust) adjust(o);
  o.keep_trace = keep;
  o.keep_decisions = keep;
  o.seed = strategy.seed;
  // As sim::run_scenario does, keeping the Simulation to read its trace.
  sim::Simulation sim{std::move(o), strategy.make()};
  Check check = s.setup(sim);
  RunArtifacts out;
  out.outcome.result = sim.run();
  strategy.learn(out.outcome.result);
  out.outcome.verdict = check ? check(out.outcome.result) : Verdict::fail("the scenario built no check");
  if (keep) {
    out.log = sim.decision_log(s.name);
    out.log.outcome = std::string{sim::to_string(out.outcome.result.outcome)};
    out.trace = std::make_shared<const sim::Trace>(sim.take_trace());
  }
  return out;
}

}  // namespace moira::scenarios
