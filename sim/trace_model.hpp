#pragma once
// What the trace views share: a kept trace read as lanes (one per process, grouped by node) and
// edges (same-process order, send -> arrival -> receive, spawn, timer start -> fire, fault ->
// what the engine did for it), with the words a person reads for each pid and message.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/trace.hpp"

namespace moira::sim {

inline constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

struct Lane {
  Pid pid;
  std::string label;  // <node.index.generation>[#incarnation] ["registered name"]
  std::size_t first = kNone;  // index of its first and last events
  std::size_t last = kNone;
  std::size_t spawned_at = kNone;  // the spawn event, if kept
  std::size_t exited_at = kNone;   // the exit event, if kept
};

class TraceModel {
 public:
  explicit TraceModel(const Trace& trace);

  const Trace& trace() const { return trace_; }
  std::size_t size() const { return trace_.events().size(); }
  const Event& event(std::size_t i) const { return trace_.events()[i]; }

  const std::vector<Lane>& lanes() const { return lanes_; }  // by node, then first appearance
  std::size_t lane_of(std::size_t i) const { return lane_[i]; }  // kNone: no process's own doing
  std::size_t lane_index(Pid pid) const;                         // kNone: no such lane
  // Events that happen immediately before event i: its lane predecessor (or, for a lane's first
  // event, the spawn), and its cause. Decisions have none and are in no lane.
  const std::vector<std::size_t>& preds(std::size_t i) const { return preds_[i]; }
  std::size_t cause(std::size_t i) const { return cause_[i]; }
  // For a send or a signal: where it ended up (the receive, the signal's delivery, the delivery of
  // a message never received, or the drop); kNone if that is not in the kept trace.
  std::size_t arrival(std::size_t i) const { return arrival_[i]; }
  // For a delivery, receive or drop: the send it comes from.
  std::size_t origin(std::size_t i) const;

  std::string pid_label(Pid pid) const;
  std::string node_label(NodeId node) const;
  // What a message said: its contents when its type has a formatter, else its type name, short.
  std::string content(std::size_t i) const;
  // One line in words, without step and time: "<0.2.1> -> <0.1.1> \"account\": call GetBalance{}".
  std::string describe(std::size_t i) const;
  // A local message or signal delivered in the same step it was sent: shown with its send.
  bool immediate_delivery(std::size_t i) const;
  bool delivered_at_once(std::size_t send) const;  // its delivery is the next event, in the same step

 private:
  std::size_t index_of(std::uint64_t seq) const;
  std::size_t lane_for(std::size_t i);

  const Trace& trace_;
  std::vector<Lane> lanes_;
  std::vector<std::size_t> lane_;
  std::vector<std::size_t> cause_;
  std::vector<std::size_t> arrival_;
  std::vector<std::vector<std::size_t>> preds_;
};

// The item kinds a delivery's x holds, by name.
std::string_view item_kind_name(std::uint64_t x);
// Virtual time as seconds with microseconds: 0.091000.
std::string seconds_text(Time t);
bool is_signal_send(EventKind kind);

}  // namespace moira::sim
