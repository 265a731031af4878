// In-run checks: sim::require's failure, liveness monitors (hot/cold, with bounds), BUGGIFY points.
#include <algorithm>

#include <fmt/format.h>

#include "sim/check.hpp"
#include "sim/require.hpp"
#include "sim/simulation.hpp"

namespace moira::sim {

namespace detail {
void require_failed(std::string message) {
  Simulation* s = Simulation::running();
  if (!s) throw moira::Error("sim::require failed: " + message);
  s->fail(std::move(message));
}
}  // namespace detail

std::string Failure::describe() const {
  if (kind == Kind::require) {
    return fmt::format("require failed at step {} in {} (virtual time {}ns): {}", step, pid, virtual_time.count(),
                       message);
  }
  return fmt::format("liveness failure at step {} (virtual time {}ns): {} [{}]", step, virtual_time.count(), message,
                     trusted ? "trusted: the strategy is fair"
                             : "NOT trusted: the strategy is not fair, so a process may just have been starved; "
                               "rerun the seed under a fair strategy (random, fair-pct)");
}

void Simulation::fail(std::string message) {
  Process* p = current_;
  if (!failure_) {
    Failure f;
    f.kind = Failure::Kind::require;
    f.message = std::move(message);
    f.step = steps_;
    f.pid = p ? p->self() : Pid{};
    f.virtual_time = now_;
    failure_ = std::move(f);
    if (p) mark(p->self(), "require failed: " + failure_->message);
  }
  if (!p || mode_ != Mode::normal) return;
  // The process stops here: its state stays as it was for inspection, and the simulator ends its
  // fiber with the run. A stackless process cannot park, so it exits with the failure instead.
  if (p->is_stackless()) throw moira::Error("sim::require failed: " + failure_->message);
  p->yield();
}

Simulation::MonitorId Simulation::add_monitor(std::string name, std::uint64_t max_hot_steps, Duration max_hot_time) {
  Monitor m;
  m.name = std::move(name);
  m.max_hot_steps = max_hot_steps;
  m.max_hot_ns = std::max<std::int64_t>(0, max_hot_time.count());
  monitors_.push_back(std::move(m));
  return monitors_.size() - 1;
}

void Simulation::hot(MonitorId monitor) {
  if (observer_) observer_->global();
  MOIRA_SIM_CHECK(monitor < monitors_.size(), "hot({}): no such monitor (add_monitor returns the id)", monitor);
  Monitor& m = monitors_[monitor];
  if (m.hot) return;  // the bound runs from the first time it went hot
  m.hot = true;
  m.hot_since_step = steps_;
  m.hot_since_ns = now_.count();
  update_liveness_deadline();
}

void Simulation::cold(MonitorId monitor) {
  if (observer_) observer_->global();
  MOIRA_SIM_CHECK(monitor < monitors_.size(), "cold({}): no such monitor (add_monitor returns the id)", monitor);
  if (!monitors_[monitor].hot) return;
  monitors_[monitor].hot = false;
  monitors_[monitor].converge_by_ns = kNever;  // reached its goal after the heal
  update_liveness_deadline();
}

void Simulation::update_liveness_deadline() {
  liveness_step_deadline_ = std::numeric_limits<std::uint64_t>::max();
  liveness_time_deadline_ = kNever;
  for (const Monitor& m : monitors_) {
    if (!m.hot) continue;
    if (m.max_hot_steps) liveness_step_deadline_ = std::min(liveness_step_deadline_, m.hot_since_step + m.max_hot_steps);
    if (m.max_hot_ns) liveness_time_deadline_ = std::min(liveness_time_deadline_, m.hot_since_ns + m.max_hot_ns);
    liveness_time_deadline_ = std::min(liveness_time_deadline_, m.converge_by_ns);
  }
}

void Simulation::check_liveness(bool at_end) {
  if (failure_) return;
  for (const Monitor& m : monitors_) {
    if (!m.hot) continue;
    std::string why;
    const bool healing = options_.heal_at.count() > 0 && now_ >= Time{options_.heal_at} && m.converge_by_ns != kNever;
    if (healing && (at_end || now_.count() >= m.converge_by_ns)) {
      why = fmt::format("did not converge within {}ms after heal (at {}ms): monitor '{}' still hot{}",
                        options_.converge_within.count() / 1'000'000, options_.heal_at.count() / 1'000'000, m.name,
                        at_end ? " when the run ended" : "");
    } else if (at_end) {
      why = fmt::format("monitor '{}' still hot when the run ended (hot since step {})", m.name, m.hot_since_step);
    } else if (m.max_hot_steps && steps_ >= m.hot_since_step + m.max_hot_steps) {
      why = fmt::format("monitor '{}' hot for {} steps (bound {}), since step {}", m.name, steps_ - m.hot_since_step,
                        m.max_hot_steps, m.hot_since_step);
    } else if (m.max_hot_ns && now_.count() >= m.hot_since_ns + m.max_hot_ns) {
      why = fmt::format("monitor '{}' hot for {}ns of virtual time (bound {}ns), since step {}", m.name,
                        now_.count() - m.hot_since_ns, m.max_hot_ns, m.hot_since_step);
    } else {
      continue;
    }
    Failure f;
    f.kind = Failure::Kind::liveness;
    f.message = std::move(why);
    f.step = steps_;
    f.virtual_time = now_;
    f.trusted = source_->fair();
    failure_ = std::move(f);
    return;
  }
}

bool Simulation::buggify(std::uint64_t point) {
  if (!options_.buggify) return false;
  auto [it, first] = buggify_points_.try_emplace(point, false);
  if (first) it->second = decide(DecisionKind::buggify, 4) == 3;
  return it->second && decide(DecisionKind::buggify, 4) == 3;
}

}  // namespace moira::sim
