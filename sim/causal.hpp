#pragma once
// Causal slicing of a kept trace: which events happen before a chosen one (Lamport's relation:
// same-process order, send -> delivery -> receive, spawn, link/monitor/exit signals, timer start
// -> fire, a fault -> what the engine did for it). Computed after the run as reachability over
// TraceModel::preds, one pass per query: the same answers as vector clocks, without keeping one
// clock per event.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sim/trace_model.hpp"

namespace moira::sim {

// Events that happen before `event`, and `event` itself.
std::vector<bool> causal_past(const TraceModel& model, std::size_t event);
// Events that `event` happens before, and `event` itself.
std::vector<bool> causal_future(const TraceModel& model, std::size_t event);

// An exit reason that is a crash: not normal, shutdown, kill(ed), noproc or noconnection.
bool is_crash_reason(std::string_view reason);

// Where a failure view starts: the first mark a scenario made (where its invariant broke), else
// the first crash (an exit whose reason is not one of normal, shutdown, kill(ed), noproc,
// noconnection), else the last event that is not a decision. kNone for an empty trace.
std::size_t failure_event(const TraceModel& model);

// Where the round trips a failure closes open. The failing process P acted on something that came
// from Q (the latest message or signal into P's lane at or before the failure); that round trip
// starts at P's latest event Q had heard of when it sent it. Messages P received while it was open
// have round trips of their own (for a lost update: the other read-modify-write that overtook this
// one): the window opens at the earliest of them. kNone when there is no such exchange.
std::size_t round_trip_start(const TraceModel& model, std::size_t failure);

struct Slice {
  std::size_t target = kNone;  // the event explained
  std::size_t since = kNone;   // with a narrowed slice: where the window opens
  std::vector<bool> keep;
  std::size_t size = 0;
};
// The causal past of `target`; narrowed, only what also happens after round_trip_start(target):
// for a lost update, the read it was computed from and the write that overtook it.
Slice why(const TraceModel& model, std::size_t target, bool narrow);

}  // namespace moira::sim
