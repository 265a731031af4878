// Fault injection: scripted (at a virtual time), from rates (a tick that rolls for each kind of
// fault), or drawn by swarm mode. Every fault is traced before it acts.
#include <array>

#include <fmt/format.h>

#include "sim/check.hpp"
#include "sim/simulation.hpp"

namespace moira::sim {

void Simulation::inject(const Fault& fault) {
  // Inside a process (or a crash), the world must not change under the running code: queue it.
  if (current_ || mode_ != Mode::normal) return at(now_, fault);
  apply(fault);
}

void Simulation::at(Duration time, Fault fault) {
  plan_.emplace(Key{std::max(time, now_).count(), ++seq_}, std::move(fault));
}

void Simulation::apply(const Fault& f) {
  if (observer_) observer_->global();
  note(EventKind::fault, f.pid, {}, static_cast<std::uint64_t>(f.kind), f.node, f.describe());
  CauseScope scope{*this, trace_.keeping_events() ? last_seq() : kNoEvent};
  const bool node_ok = f.node < nodes_.size();
  const bool link_ok = f.from < nodes_.size() && f.to < nodes_.size();
  switch (f.kind) {
    case FaultKind::kill:
      Engine::exit(f.pid, f.reason);
      break;
    case FaultKind::kill_named:
      if (auto pid = whereis(f.name, f.node)) Engine::exit(*pid, f.reason);
      break;
    case FaultKind::kill_random:
      kill_random_now(f.reason);
      break;
    case FaultKind::crash:
      if (node_ok) crash_now(f.node);
      break;
    case FaultKind::restart:
      if (node_ok) restart_now(f.node);
      break;
    case FaultKind::partition:
      partition_now(f);
      break;
    case FaultKind::heal:
      heal_now(f);
      break;
    case FaultKind::drop:
      if (link_ok) link(f.from, f.to).drop_probability = f.probability;
      break;
    case FaultKind::delay:
      if (link_ok) link(f.from, f.to).delay = f.delay;
      break;
    case FaultKind::converge:
      converge_now();
      break;
    case FaultKind::skew:
      if (node_ok) {
        nodes_[f.node].clock_offset = f.offset;
        nodes_[f.node].drift_ppm = f.drift_ppm;
      }
      break;
  }
}

// The end of the fault phase: the world is made whole, and the goals must be reached again.
void Simulation::converge_now() {
  plan_.clear();  // scripted faults still to come (restarts included: every node restarts now)
  FaultRates& r = options_.faults;
  r.kill_per_second = r.crash_per_second = r.partition_per_second = 0;
  r.drop_probability = r.duplicate_probability = 0;
  tick_ = Key{kNever, 0};
  for (auto& l : links_) l = LinkState{};
  for (NodeId n = 0; n < nodes_.size(); ++n)
    if (!nodes_[n].node) restart_now(n);
  const std::int64_t by = options_.converge_within.count() > 0 ? now_.count() + options_.converge_within.count() : kNever;
  for (Monitor& m : monitors_) {
    if (!m.hot) {
      m.hot = true;
      m.hot_since_step = steps_;
      m.hot_since_ns = now_.count();
    }
    m.converge_by_ns = by;
  }
  update_liveness_deadline();
}

void Simulation::kill_random_now(const Reason& reason) {
  auto pids = live_processes();
  if (pids.empty()) return;
  Engine::exit(pids[decide(DecisionKind::fault, pids.size())], reason);
}

void Simulation::tick_faults() {
  const FaultRates& r = options_.faults;
  const double dt = static_cast<double>(r.tick.count()) / 1e9;
  if (chance(DecisionKind::fault, r.kill_per_second * dt)) apply(Fault::kill_random());
  if (chance(DecisionKind::fault, r.crash_per_second * dt)) {
    std::vector<NodeId> up;
    for (NodeId n = 1; n < nodes_.size(); ++n)
      if (nodes_[n].node) up.push_back(n);
    if (!up.empty()) {
      NodeId victim = up[decide(DecisionKind::fault, up.size())];
      apply(Fault::crash(victim));
      if (r.restart_after.count() > 0) at(now_ + r.restart_after, Fault::restart(victim));
    }
  }
  if (nodes_.size() > 1 && chance(DecisionKind::fault, r.partition_per_second * dt)) {
    auto victim = static_cast<NodeId>(decide(DecisionKind::fault, nodes_.size()));
    apply(Fault::partition({victim}));
    at(now_ + r.heal_after, Fault::heal({victim}));
  }
  std::int64_t next = tick_.due + r.tick.count();
  tick_ = next <= r.until.count() ? Key{next, ++seq_} : Key{kNever, 0};
}

// Swarm testing (Groce et al., ISSTA 2012; TigerBeetle's VOPR): each run turns a random subset of
// fault kinds on, at random strengths. Drawn as decisions, so a decision log replays them.
void Simulation::draw_settings() {
  settings_drawn_ = true;
  FaultRates& r = options_.faults;
  if (options_.swarm && !r.any()) {
    static constexpr std::array<double, 4> kKill{0, 0.5, 2, 10};
    static constexpr std::array<double, 4> kCrash{0, 0.2, 1, 4};
    static constexpr std::array<double, 4> kPartition{0, 0.2, 1, 4};
    static constexpr std::array<double, 4> kDrop{0, 0.01, 0.05, 0.2};
    static constexpr std::array<std::int64_t, 4> kStretch{1, 4, 20, 100};
    auto pick = [&](const auto& table) { return table[decide(DecisionKind::setting, table.size())]; };
    r.kill_per_second = pick(kKill);
    r.crash_per_second = pick(kCrash);
    r.partition_per_second = pick(kPartition);
    r.drop_probability = pick(kDrop);
    options_.latency_max = options_.latency_min + (options_.latency_max - options_.latency_min) * pick(kStretch);
    if (!options_.relaxed_delivery) options_.relaxed_delivery = decide(DecisionKind::setting, 2) == 1;
    settings_ = fmt::format("kill_per_second={} crash_per_second={} partition_per_second={} drop_probability={} "
                            "latency_max_ns={} relaxed_delivery={}",
                            r.kill_per_second, r.crash_per_second, r.partition_per_second, r.drop_probability,
                            options_.latency_max.count(), options_.relaxed_delivery);
    if (options_.swarm_duplicate) {
      r.duplicate_probability = pick(kDrop);
      settings_ += fmt::format(" duplicate_probability={}", r.duplicate_probability);
    }
    note(EventKind::fault, {}, {}, 0, 0, "swarm " + settings_);
  }
  if (r.tick.count() <= 0) r.tick = std::chrono::milliseconds{10};
  if (r.kill_per_second > 0 || r.crash_per_second > 0 || r.partition_per_second > 0) {
    tick_ = Key{now_.count() + r.tick.count(), ++seq_};
  }
}

}  // namespace moira::sim
