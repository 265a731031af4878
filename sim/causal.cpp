#include "sim/causal.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace moira::sim {

std::vector<bool> causal_past(const TraceModel& model, std::size_t event) {
  std::vector<bool> in(model.size(), false);
  if (event >= model.size()) return in;
  in[event] = true;
  // preds point to earlier events only, so one backward sweep reaches them all.
  for (std::size_t i = event + 1; i-- > 0;)
    if (in[i])
      for (std::size_t p : model.preds(i)) in[p] = true;
  return in;
}

std::vector<bool> causal_future(const TraceModel& model, std::size_t event) {
  std::vector<bool> in(model.size(), false);
  if (event >= model.size()) return in;
  in[event] = true;
  for (std::size_t i = event + 1; i < model.size(); ++i)
    for (std::size_t p : model.preds(i))
      if (in[p]) {
        in[i] = true;
        break;
      }
  return in;
}

bool is_crash_reason(std::string_view reason) {
  static constexpr std::array<std::string_view, 6> kCalm{"normal", "shutdown", "kill", "killed", "noproc", "noconnection"};
  return std::find(kCalm.begin(), kCalm.end(), reason) == kCalm.end();
}

std::size_t failure_event(const TraceModel& model) {
  for (std::size_t i = 0; i < model.size(); ++i)
    if (model.event(i).kind == EventKind::mark) return i;
  for (std::size_t i = 0; i < model.size(); ++i)
    if (model.event(i).kind == EventKind::exit && is_crash_reason(model.event(i).text)) return i;
  for (std::size_t i = model.size(); i-- > 0;)
    if (model.event(i).kind != EventKind::decision) return i;
  return kNone;
}

namespace {

// P's latest event that the sender of message `received` (into P's lane) had heard of when it
// sent it: where that message's round trip started. kNone if it did not come from another lane
// or the sender had never heard from P.
std::size_t trip_start(const TraceModel& model, std::size_t received, std::size_t lane) {
  std::size_t o = model.origin(received);
  if (o == kNone || o == received || model.lane_of(o) == lane || model.lane_of(o) == kNone) return kNone;
  std::vector<bool> past = causal_past(model, o);
  for (std::size_t i = o + 1; i-- > 0;)
    if (past[i] && model.lane_of(i) == lane) return i;
  return kNone;
}

}  // namespace

std::size_t round_trip_start(const TraceModel& model, std::size_t failure) {
  if (failure >= model.size()) return kNone;
  const std::size_t lane = model.lane_of(failure);
  if (lane == kNone) return kNone;
  // Back along P's lane to the latest thing that came in from another lane: its round trip.
  std::size_t start = kNone;
  for (std::size_t i = failure + 1; i-- > 0 && start == kNone;)
    if (model.lane_of(i) == lane && model.origin(i) != kNone && model.origin(i) != i)
      start = trip_start(model, i, lane);
  if (start == kNone) return kNone;
  // The round trips of what else P took in while that one was open (for a lost update: the
  // other read-modify-write that overtook it) open the window further back.
  std::size_t opened = start;
  for (std::size_t i = start + 1; i <= failure; ++i)
    if (model.lane_of(i) == lane && model.event(i).kind == EventKind::receive)
      opened = std::min(opened, trip_start(model, i, lane));
  return opened;
}

Slice why(const TraceModel& model, std::size_t target, bool narrow) {
  Slice s;
  s.target = target;
  s.keep = causal_past(model, target);
  if (narrow) {
    s.since = round_trip_start(model, target);
    if (s.since != kNone) {
      std::vector<bool> after = causal_future(model, s.since);
      for (std::size_t i = 0; i < s.keep.size(); ++i) s.keep[i] = s.keep[i] && after[i];
    }
  }
  s.size = static_cast<std::size_t>(std::count(s.keep.begin(), s.keep.end(), true));
  return s;
}

}  // namespace moira::sim
