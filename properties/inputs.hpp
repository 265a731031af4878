#pragma once
// What the library draws for every test case besides the user's own inputs: the simulator settings,
// the schedule (a decision vector) and the fault plan. Plain values, free of RapidCheck, so
// reports, tests and `moira shrink` can use them; the generators live in generators.hpp.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/pid.hpp"
#include "runtime/time.hpp"
#include "sim/fault.hpp"
#include "sim/options.hpp"

namespace moira::properties {

// The simulator options a case varies. Every field shrinks towards the calm value.
struct Settings {
  bool relaxed_delivery = false;
  unsigned latency_max_ms = 1;  // between nodes; latency_min stays as configured
  bool swarm = false;

  void apply(sim::Options& options) const;
  std::string describe() const;
  friend bool operator==(const Settings&, const Settings&) = default;
};

// The schedule: the answers to the simulator's decisions, in order (ScheduleSource: each value in
// [0, 2^16) is a fraction of the options); past the end every answer is 0. All zeros is the calm run.
struct Schedule {
  std::vector<std::uint64_t> choices;

  std::size_t nonzero() const;
  std::string describe() const;
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

// Which faults a property lets the library inject, and when.
struct FaultSpace {
  bool kill = false;       // kill a process (reason kill): one of `kill_targets`, else a random live one
  bool crash = false;      // crash a node (not node 0 unless crash_node0), maybe restart it later
  bool partition = false;  // cut a node off from the rest, maybe heal later
  bool drop = false;       // make the link between two nodes lossy
  bool crash_node0 = false;
  std::size_t max_faults = 3;
  Duration horizon = std::chrono::seconds{1};  // faults fall in [0, horizon) of virtual time

  static FaultSpace none() { return {}; }
  static FaultSpace all() { return {true, true, true, true}; }
  bool any() const { return kill || crash || partition || drop; }
};

// The world as the property built it: what a fault may name.
struct World {
  std::size_t nodes = 1;
  std::vector<Pid> kill_targets;  // empty: kill picks a random live process
};

// One fault of a plan. `before_end_ms` counts back from the horizon, so shrinking it towards 0
// moves the fault later (into the calm tail of the run); `lasts_ms` 0 means for good.
struct FaultEvent {
  enum class Kind : std::uint8_t { kill, crash, partition, drop };
  Kind kind = Kind::kill;
  std::uint32_t before_end_ms = 0;
  NodeId node = 0;     // crash, partition: the node; drop: from
  NodeId other = 0;    // drop: to
  std::uint32_t lasts_ms = 0;  // crash: until the restart; partition: until the heal; drop: until repaired
  unsigned percent = 100;      // drop: the probability a message is lost
  std::size_t target = 0;      // kill: index into World::kill_targets (ignored when that is empty)
  friend bool operator==(const FaultEvent&, const FaultEvent&) = default;
};

struct FaultPlan {
  Duration horizon{};
  std::vector<Pid> kill_targets;  // the world's (empty: kill picks a random live process)
  std::vector<FaultEvent> events;

  // The simulator's planned faults (with restarts, heals and repairs), ordered by time.
  std::vector<sim::PlannedFault> planned() const;
  std::string describe() const;
  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

}  // namespace moira::properties
