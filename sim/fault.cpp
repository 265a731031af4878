#include "sim/fault.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace moira::sim {

Fault Fault::kill(Pid pid, Reason reason) {
  Fault f;
  f.kind = FaultKind::kill;
  f.pid = pid;
  f.reason = std::move(reason);
  return f;
}

Fault Fault::kill_named(NodeId node, std::string name, Reason reason) {
  Fault f;
  f.kind = FaultKind::kill_named;
  f.node = node;
  f.name = std::move(name);
  f.reason = std::move(reason);
  return f;
}

Fault Fault::kill_random(Reason reason) {
  Fault f;
  f.kind = FaultKind::kill_random;
  f.reason = std::move(reason);
  return f;
}

Fault Fault::crash(NodeId node) {
  Fault f;
  f.kind = FaultKind::crash;
  f.node = node;
  return f;
}

Fault Fault::restart(NodeId node) {
  Fault f;
  f.kind = FaultKind::restart;
  f.node = node;
  return f;
}

Fault Fault::partition(std::vector<NodeId> side_a, std::vector<NodeId> side_b, bool one_way) {
  Fault f;
  f.kind = FaultKind::partition;
  f.side_a = std::move(side_a);
  f.side_b = std::move(side_b);
  f.one_way = one_way;
  return f;
}

Fault Fault::heal(std::vector<NodeId> side_a, std::vector<NodeId> side_b) {
  Fault f;
  f.kind = FaultKind::heal;
  f.side_a = std::move(side_a);
  f.side_b = std::move(side_b);
  return f;
}

Fault Fault::drop(NodeId from, NodeId to, double probability) {
  Fault f;
  f.kind = FaultKind::drop;
  f.from = from;
  f.to = to;
  f.probability = probability;
  return f;
}

Fault Fault::delay_link(NodeId from, NodeId to, Duration delay) {
  Fault f;
  f.kind = FaultKind::delay;
  f.from = from;
  f.to = to;
  f.delay = delay;
  return f;
}

Fault Fault::skew(NodeId node, Duration offset, std::int64_t drift_ppm) {
  Fault f;
  f.kind = FaultKind::skew;
  f.node = node;
  f.offset = offset;
  f.drift_ppm = drift_ppm;
  return f;
}

Fault Fault::converge() {
  Fault f;
  f.kind = FaultKind::converge;
  return f;
}

std::string Fault::describe() const {
  switch (kind) {
    case FaultKind::kill: return fmt::format("kill {} reason={}", pid, reason);
    case FaultKind::kill_named: return fmt::format("kill '{}' on node {} reason={}", name, node, reason);
    case FaultKind::kill_random: return fmt::format("kill a random process reason={}", reason);
    case FaultKind::crash: return fmt::format("crash node {}", node);
    case FaultKind::restart: return fmt::format("restart node {}", node);
    case FaultKind::partition:
      return fmt::format("partition [{}] {} [{}]", fmt::join(side_a, ","), one_way ? "->" : "<->",
                         side_b.empty() ? std::string{"rest"} : fmt::format("{}", fmt::join(side_b, ",")));
    case FaultKind::heal:
      if (side_a.empty() && side_b.empty()) return "heal all";
      return fmt::format("heal [{}] [{}]", fmt::join(side_a, ","), fmt::join(side_b, ","));
    case FaultKind::drop: return fmt::format("drop {} -> {} probability={}", from, to, probability);
    case FaultKind::delay: return fmt::format("delay {} -> {} by {}ns", from, to, delay.count());
    case FaultKind::skew: return fmt::format("skew node {} offset={}ns drift={}ppm", node, offset.count(), drift_ppm);
    case FaultKind::converge: return "heal: the fault phase ends; the system must converge";
  }
  return "?";
}

}  // namespace moira::sim
