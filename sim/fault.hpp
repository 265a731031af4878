#pragma once
// Faults the simulated world can suffer. They live here, in sim/, not in the process API: process
// code never crashes a node; a test, a plan, a rate or the strategy does.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/pid.hpp"
#include "runtime/reason.hpp"
#include "runtime/time.hpp"

namespace moira::sim {

enum class FaultKind : std::uint8_t {
  kill,         // exit(pid, reason) from outside
  kill_named,   // the same, to the process registered as `name` on `node`
  kill_random,  // the strategy picks a live process
  crash,        // a node's processes vanish; links and monitors across get noconnection
  restart,      // a crashed node comes back: new incarnation, boot runs again
  partition,    // links from side_a to side_b (and back, unless one_way) stop carrying anything
  heal,         // undo partitions between side_a and side_b (both empty: every partition)
  drop,         // messages from `from` to `to` are lost with `probability` (signals never are)
  delay,        // messages from `from` to `to` take `delay` longer
  skew,         // `node`'s clock reads `offset` ahead and runs drift_ppm parts per million fast
  converge,     // the fault phase ends: heal, restart, stop faults; monitors must go cold (Options::heal_at)
};

struct Fault {
  FaultKind kind = FaultKind::kill;
  Pid pid;
  std::string name;
  Reason reason = Reason::kill();
  NodeId node = 0;
  std::vector<NodeId> side_a;
  std::vector<NodeId> side_b;  // empty in partition: every other node
  bool one_way = false;
  NodeId from = 0;
  NodeId to = 0;
  double probability = 0;
  Duration delay{};
  Duration offset{};
  std::int64_t drift_ppm = 0;

  static Fault kill(Pid pid, Reason reason = Reason::kill());
  static Fault kill_named(NodeId node, std::string name, Reason reason = Reason::kill());
  static Fault kill_random(Reason reason = Reason::kill());
  static Fault crash(NodeId node);
  static Fault restart(NodeId node);
  static Fault partition(std::vector<NodeId> side_a, std::vector<NodeId> side_b = {}, bool one_way = false);
  static Fault heal(std::vector<NodeId> side_a = {}, std::vector<NodeId> side_b = {});
  static Fault drop(NodeId from, NodeId to, double probability);
  static Fault delay_link(NodeId from, NodeId to, Duration delay);
  static Fault skew(NodeId node, Duration offset, std::int64_t drift_ppm = 0);
  static Fault converge();

  std::string describe() const;
};

// A fault at a virtual time, for scripted plans.
struct PlannedFault {
  Duration at{};
  Fault fault;
};

}  // namespace moira::sim
