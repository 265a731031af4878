#include "properties/inputs.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "properties/schedule_source.hpp"

namespace moira::properties {

void Settings::apply(sim::Options& options) const {
  options.relaxed_delivery = relaxed_delivery;
  options.latency_max = std::max(options.latency_min, Duration{std::chrono::milliseconds{latency_max_ms}});
  options.swarm = swarm;
}

std::string Settings::describe() const {
  return fmt::format("relaxed_delivery={} latency_max={}ms swarm={}", relaxed_delivery, latency_max_ms, swarm);
}

std::size_t Schedule::nonzero() const {
  return static_cast<std::size_t>(std::count_if(choices.begin(), choices.end(), [](std::uint64_t c) { return c != 0; }));
}

std::string Schedule::describe() const {
  return fmt::format("{} choices, {} non-zero", choices.size(), nonzero());
}

std::string ScheduleSource::describe() const { return fmt::format("properties schedule length={}", choices_.size()); }

namespace {

Duration ms(std::uint32_t n) { return std::chrono::milliseconds{n}; }

// before_end_ms is in [0, horizon): 0 is the last millisecond of the horizon.
Duration at_of(const FaultPlan& plan, const FaultEvent& e) {
  return std::max(Duration{}, plan.horizon - ms(e.before_end_ms + 1));
}

sim::Fault kill_of(const FaultEvent& e, const std::vector<Pid>& targets) {
  if (targets.empty()) return sim::Fault::kill_random();
  return sim::Fault::kill(targets[e.target % targets.size()]);
}

}  // namespace

std::vector<sim::PlannedFault> FaultPlan::planned() const {
  std::vector<sim::PlannedFault> out;
  for (const FaultEvent& e : events) {
    Duration at = at_of(*this, e);
    switch (e.kind) {
      case FaultEvent::Kind::kill: out.push_back({at, kill_of(e, kill_targets)}); break;
      case FaultEvent::Kind::crash:
        out.push_back({at, sim::Fault::crash(e.node)});
        if (e.lasts_ms > 0) out.push_back({at + ms(e.lasts_ms), sim::Fault::restart(e.node)});
        break;
      case FaultEvent::Kind::partition:
        out.push_back({at, sim::Fault::partition({e.node})});
        if (e.lasts_ms > 0) out.push_back({at + ms(e.lasts_ms), sim::Fault::heal({e.node})});
        break;
      case FaultEvent::Kind::drop:
        out.push_back({at, sim::Fault::drop(e.node, e.other, e.percent / 100.0)});
        if (e.lasts_ms > 0) out.push_back({at + ms(e.lasts_ms), sim::Fault::drop(e.node, e.other, 0)});
        break;
    }
  }
  // Stable: faults at the same instant keep the plan's order.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  return out;
}

std::string FaultPlan::describe() const {
  if (events.empty()) return "none";
  std::string out;
  for (const sim::PlannedFault& p : planned()) {
    out += fmt::format("{}{}ms {}", out.empty() ? "" : "; ",
                       std::chrono::duration_cast<std::chrono::milliseconds>(p.at).count(), p.fault.describe());
  }
  return out;
}

}  // namespace moira::properties
