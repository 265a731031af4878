#include "sim/trace_model.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "runtime/show.hpp"

namespace moira::sim {

std::string_view item_kind_name(std::uint64_t x) {
  static constexpr std::array<std::string_view, 9> kNames{"message", "exit", "link",    "unlink",      "monitor",
                                                          "demonitor", "down", "timeout", "info request"};
  return x < kNames.size() ? kNames[x] : "item";
}

std::string seconds_text(Time t) {
  return fmt::format("{}.{:06}", t.count() / 1'000'000'000, t.count() % 1'000'000'000 / 1000);
}

bool is_signal_send(EventKind kind) {
  switch (kind) {
    case EventKind::link:
    case EventKind::unlink:
    case EventKind::monitor:
    case EventKind::demonitor:
    case EventKind::down:
    case EventKind::exit_signal:
    case EventKind::timeout:
    case EventKind::info: return true;
    default: return false;
  }
}

TraceModel::TraceModel(const Trace& trace) : trace_(trace) {
  const std::size_t n = size();
  cause_.assign(n, kNone);
  lane_.assign(n, kNone);
  arrival_.assign(n, kNone);
  preds_.resize(n);
  for (std::size_t i = 0; i < n; ++i) cause_[i] = index_of(event(i).cause);

  // Lanes, in order of first appearance, then grouped by node (stable: a node's lanes keep it).
  std::map<Pid, std::size_t> by_pid;
  std::vector<Pid> order;
  auto lane_pid = [&](std::size_t i) -> Pid {
    const Event& e = event(i);
    switch (e.kind) {
      case EventKind::decision:
      case EventKind::timer_fire:
      case EventKind::fault: return {};
      case EventKind::deliver: return e.x != 0 ? e.b : Pid{};  // a signal acts on its target
      case EventKind::receive:
      case EventKind::exit:
      case EventKind::mark: return e.a;
      case EventKind::spawn: return !e.actor.is_null() ? e.actor : e.b;
      default:
        if (!e.actor.is_null()) return e.actor;
        if (e.cause != kNoEvent) return {};  // the engine acting for a fault, a timer, a drop
        return e.a;
    }
  };
  std::vector<Pid> pid_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    pid_of[i] = lane_pid(i);
    Pid spawned = event(i).kind == EventKind::spawn ? event(i).a : Pid{};
    for (Pid p : {spawned, pid_of[i]})
      if (!p.is_null() && by_pid.emplace(p, 0).second) order.push_back(p);
  }
  std::stable_sort(order.begin(), order.end(), [](Pid x, Pid y) { return x.node < y.node; });
  for (std::size_t l = 0; l < order.size(); ++l) {
    by_pid[order[l]] = l;
    Lane lane;
    lane.pid = order[l];
    lanes_.push_back(lane);
  }
  for (auto& lane : lanes_) lane.label = pid_label(lane.pid);

  for (std::size_t i = 0; i < n; ++i) {
    const Event& e = event(i);
    if (e.kind == EventKind::spawn && !e.a.is_null()) lanes_[by_pid[e.a]].spawned_at = i;
    if (!pid_of[i].is_null()) {
      std::size_t l = by_pid[pid_of[i]];
      Lane& lane = lanes_[l];
      lane_[i] = l;
      if (lane.last != kNone) {
        preds_[i].push_back(lane.last);
      } else if (lane.spawned_at != kNone && lane.spawned_at != i) {
        preds_[i].push_back(lane.spawned_at);
      }
      if (lane.first == kNone) lane.first = i;
      lane.last = i;
      if (e.kind == EventKind::exit) lane.exited_at = i;
    }
    if (cause_[i] != kNone && std::find(preds_[i].begin(), preds_[i].end(), cause_[i]) == preds_[i].end())
      preds_[i].push_back(cause_[i]);
    // Where sends end up: the delivery or drop, then (for messages) the receive.
    if (e.kind == EventKind::deliver || e.kind == EventKind::drop || e.kind == EventKind::receive) {
      std::size_t o = origin(i);
      if (o != kNone) arrival_[o] = i;
    }
  }
}

std::size_t TraceModel::index_of(std::uint64_t seq) const {
  const auto& ev = trace_.events();
  if (seq == kNoEvent || ev.empty() || seq < ev.front().seq || seq > ev.back().seq) return kNone;
  return static_cast<std::size_t>(seq - ev.front().seq);
}

std::size_t TraceModel::lane_index(Pid pid) const {
  for (std::size_t l = 0; l < lanes_.size(); ++l)
    if (lanes_[l].pid == pid) return l;
  return kNone;
}

std::size_t TraceModel::origin(std::size_t i) const {
  for (int hops = 0; i != kNone && hops < 3; ++hops) {
    EventKind k = event(i).kind;
    if (k == EventKind::send || is_signal_send(k)) return i;
    if (k != EventKind::deliver && k != EventKind::receive && k != EventKind::drop) return kNone;
    i = cause_[i];
  }
  return kNone;
}

std::string TraceModel::pid_label(Pid pid) const {
  if (pid.is_null()) return "(outside)";
  std::string out = fmt::format("{}", pid);
  if (pid.incarnation > 0) out += fmt::format("#{}", pid.incarnation);
  auto it = trace_.process_names().find(pid);
  if (it != trace_.process_names().end()) out += fmt::format(" \"{}\"", it->second);
  return out;
}

std::string TraceModel::node_label(NodeId node) const {
  const auto& names = trace_.node_names();
  return node < names.size() && !names[node].empty() ? names[node] : fmt::format("node{}", node);
}

std::string TraceModel::content(std::size_t i) const {
  const Event& e = event(i);
  switch (e.kind) {
    case EventKind::send: return !e.detail.empty() ? e.detail : moira::detail::short_type_name(e.text);
    case EventKind::link: return "link";
    case EventKind::unlink: return "unlink";
    case EventKind::monitor: return fmt::format("monitor #Ref<{}>", e.x);
    case EventKind::demonitor: return fmt::format("demonitor #Ref<{}>", e.x);
    case EventKind::down: return fmt::format("DOWN #Ref<{}>: {}", e.x, e.text);
    case EventKind::exit_signal: return fmt::format("exit signal: {}{}", e.text, e.x ? " (link)" : "");
    case EventKind::timeout: return fmt::format("timeout #Ref<{}>", e.x);
    case EventKind::info: return "info request";
    case EventKind::deliver:
    case EventKind::receive:
    case EventKind::drop: {
      std::size_t o = origin(i);
      if (o != kNone) return content(o);
      return e.kind == EventKind::receive ? std::string{} : std::string{item_kind_name(e.x)};
    }
    default: return {};
  }
}

bool TraceModel::delivered_at_once(std::size_t i) const {
  return i + 1 < size() && cause_[i + 1] == i && immediate_delivery(i + 1);
}

bool TraceModel::immediate_delivery(std::size_t i) const {
  const Event& e = event(i);
  return e.kind == EventKind::deliver && i > 0 && cause_[i] == i - 1 && event(i - 1).step == e.step;
}

std::string TraceModel::describe(std::size_t i) const {
  const Event& e = event(i);
  auto p = [&](Pid pid) { return pid_label(pid); };
  switch (e.kind) {
    case EventKind::spawn:
      return fmt::format("{} spawned{}{}{}", p(e.a), e.b.is_null() ? " from outside" : " by " + p(e.b),
                         e.x & 1 ? ", linked" : "", e.x & 2 ? ", monitored" : "");
    case EventKind::send:
      return fmt::format("{} -> {}: {}{}", p(e.a), p(e.b), content(i), delivered_at_once(i) ? "" : " (in flight)");
    case EventKind::deliver:
      return fmt::format("{} <= {}: {} arrives", p(e.b), p(e.a), content(i));
    case EventKind::receive: {
      std::size_t o = origin(i);
      if (o == kNone) return fmt::format("{} receives", p(e.a));
      return fmt::format("{} <- {}: {}", p(e.a), p(event(o).a), content(i));
    }
    case EventKind::exit: return fmt::format("{} exits: {}", p(e.a), e.text);
    case EventKind::timer_start:
      return fmt::format("{} starts timer #Ref<{}> for {}, due {}", p(e.a), e.x, p(e.b), seconds_text(Time{e.y}));
    case EventKind::timer_fire: return fmt::format("timer #Ref<{}> fires for {}", e.x, p(e.b));
    case EventKind::timer_cancel:
      return fmt::format("{}cancels timer #Ref<{}>", e.actor.is_null() ? "" : p(e.actor) + " ", e.x);
    case EventKind::drop: return fmt::format("{} -> {}: {} LOST ({})", p(e.a), p(e.b), content(i), e.text);
    case EventKind::fault: return fmt::format("FAULT {}", e.text);
    case EventKind::decision: return fmt::format("decision {}: {} of {}", e.text, e.y, e.x);
    case EventKind::mark: return fmt::format("{} !! {}", p(e.a), e.text);
    default:  // the signals
      return fmt::format("{} -> {}: {}{}", p(e.a), p(e.b), content(i), delivered_at_once(i) ? "" : " (in flight)");
  }
}

}  // namespace moira::sim
