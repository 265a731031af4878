#pragma once
// Which events a view shows: by process (pid or registered name), node, kind, and a window of
// steps or virtual time. Also the parsers the command line uses, each with an error that says
// what would have been accepted.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "sim/trace_model.hpp"

namespace moira::sim {

struct TraceFilter {
  std::vector<Pid> pids;           // events a pid takes part in (as either end, or running)
  std::vector<std::string> names;  // the same, by registered name
  std::vector<std::string> nodes;  // events on these nodes (by name or number)
  std::vector<EventKind> kinds;
  std::uint64_t step_from = 0;
  std::uint64_t step_to = std::numeric_limits<std::uint64_t>::max();
  Time time_from{};
  Time time_to{std::numeric_limits<Time::rep>::max()};

  bool matches(const TraceModel& model, std::size_t i) const;
};

inline constexpr std::uint32_t kAnyIncarnation = 0xffff'ffffu;
// "<0.1.1>", "0.1.1", "<1.0.1>#2": a pid; the node's incarnation after '#' (without: any).
std::string parse_pid(std::string_view text, Pid& out);
std::string parse_kind(std::string_view text, EventKind& out);
// "A..B", "A..", "..B": a step window.
std::string parse_step_window(std::string_view text, std::uint64_t& from, std::uint64_t& to);
// The same in virtual seconds ("0.05..0.1").
std::string parse_time_window(std::string_view text, Time& from, Time& to);

}  // namespace moira::sim
