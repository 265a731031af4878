#include <sstream>

#include "scenarios/all.hpp"
#include "scenarios/scenario.hpp"

namespace moira::scenarios {

const std::vector<Scenario>& all() {
  static const std::vector<Scenario> list{supervised_pool(), ping_monitor(), lost_update()};
  return list;
}

const Scenario* find(std::string_view name) {
  for (auto& s : all())
    if (s.name == name) return &s;
  return nullptr;
}

std::string names() {
  std::string out;
  for (auto& s : all()) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

std::string Outcome::why() const {
  if (!verdict.ok) return "invariant broken: " + verdict.why;
  if (result.outcome == sim::Outcome::bound_exceeded) return "liveness: bound exceeded (" + result.bound + ")";
  if (result.outcome == sim::Outcome::diverged) return "replay diverged";
  return "ok";
}

sim::Scenario as_sim_scenario(const Scenario& s, std::shared_ptr<Check> check) {
  return [&s, check](sim::Simulation& sim) { *check = s.setup(sim); };
}

RunArtifacts run(const Scenario& s, const sim::Strategy& strategy, bool keep) {
  sim::Options o = s.options;
  o.keep_trace = keep;
  o.keep_decisions = keep;
  o.seed = strategy.seed;
  // As sim::run_scenario does, keeping the Simulation to read its trace.
  sim::Simulation sim{std::move(o), strategy.make()};
  Check check = s.setup(sim);
  RunArtifacts out;
  out.outcome.result = sim.run();
  out.outcome.verdict = check ? check(out.outcome.result) : Verdict::fail("the scenario built no check");
  if (keep) {
    out.log = sim.decision_log(s.name);
    out.log.outcome = std::string{sim::to_string(out.outcome.result.outcome)};
    std::ostringstream text, json;
    sim.trace().write_text(text);
    sim.trace().write_jsonl(json);
    out.trace_text = text.str();
    out.trace_json = json.str();
  }
  return out;
}

}  // namespace moira::scenarios
