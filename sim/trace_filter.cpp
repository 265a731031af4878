#include "sim/trace_filter.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace moira::sim {

namespace {

bool same(Pid x, Pid p) {
  return x.node == p.node && x.index == p.index && x.generation == p.generation &&
         (p.incarnation == kAnyIncarnation || x.incarnation == p.incarnation);
}
bool touches(const Event& e, Pid p) { return same(e.a, p) || same(e.b, p) || same(e.actor, p); }

bool parse_u64(std::string_view s, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

bool parse_seconds(std::string_view s, Time& out) {
  std::string text{s};
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(v >= 0) || v > 1e9) return false;
  out = Time{static_cast<Time::rep>(std::llround(v * 1e9))};
  return true;
}

}  // namespace

bool TraceFilter::matches(const TraceModel& model, std::size_t i) const {
  const Event& e = model.event(i);
  if (e.step < step_from || e.step > step_to || e.time < time_from || e.time > time_to) return false;
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end()) return false;
  if (!pids.empty() || !names.empty()) {
    bool hit = std::any_of(pids.begin(), pids.end(), [&](Pid p) { return touches(e, p); });
    for (const auto& [pid, name] : model.trace().process_names())
      if (!hit && std::find(names.begin(), names.end(), name) != names.end()) hit = touches(e, pid);
    if (!hit) return false;
  }
  if (!nodes.empty()) {
    bool hit = false;
    for (Pid p : {e.a, e.b, e.actor}) {
      if (p.is_null()) continue;
      std::string name = model.node_label(p.node);
      hit = hit || std::find(nodes.begin(), nodes.end(), name) != nodes.end() ||
            std::find(nodes.begin(), nodes.end(), std::to_string(p.node)) != nodes.end();
    }
    if (!hit) return false;
  }
  return true;
}

std::string parse_pid(std::string_view text, Pid& out) {
  std::string_view s = text;
  std::uint64_t incarnation = kAnyIncarnation;
  if (auto hash = s.find('#'); hash != std::string_view::npos) {
    if (!parse_u64(s.substr(hash + 1), incarnation)) return fmt::format("bad pid '{}': after '#' comes the node's incarnation, a number", text);
    s = s.substr(0, hash);
  }
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  std::uint64_t part[3];
  for (int k = 0; k < 3; ++k) {
    auto dot = k < 2 ? s.find('.') : s.size();
    if (dot == std::string_view::npos || !parse_u64(s.substr(0, dot), part[k]) || part[k] > 0xffffffffu)
      return fmt::format("bad pid '{}': write it as the trace does, <node.index.generation>, e.g. <0.1.1> or <1.0.1>#2", text);
    s = k < 2 ? s.substr(dot + 1) : std::string_view{};
  }
  out = Pid{static_cast<std::uint32_t>(part[1]), static_cast<std::uint32_t>(part[2]), static_cast<NodeId>(part[0]),
            static_cast<std::uint32_t>(incarnation)};
  return {};
}

std::string parse_kind(std::string_view text, EventKind& out) {
  std::string known;
  for (int k = 0; k <= static_cast<int>(EventKind::mark); ++k) {
    auto kind = static_cast<EventKind>(k);
    if (to_string(kind) == text) {
      out = kind;
      return {};
    }
    if (!known.empty()) known += ", ";
    known += to_string(kind);
  }
  return fmt::format("unknown event kind '{}'; the kinds are: {}", text, known);
}

std::string parse_step_window(std::string_view text, std::uint64_t& from, std::uint64_t& to) {
  auto dots = text.find("..");
  std::string_view a = dots == std::string_view::npos ? text : text.substr(0, dots);
  std::string_view b = dots == std::string_view::npos ? text : text.substr(dots + 2);
  std::uint64_t lo = 0, hi = std::numeric_limits<std::uint64_t>::max();
  if ((!a.empty() && !parse_u64(a, lo)) || (!b.empty() && !parse_u64(b, hi)) || lo > hi)
    return fmt::format("bad step window '{}': write FIRST..LAST (either may be left out), e.g. 100..250", text);
  from = lo;
  to = hi;
  return {};
}

std::string parse_time_window(std::string_view text, Time& from, Time& to) {
  auto dots = text.find("..");
  std::string_view a = dots == std::string_view::npos ? text : text.substr(0, dots);
  std::string_view b = dots == std::string_view::npos ? text : text.substr(dots + 2);
  Time lo{}, hi{std::numeric_limits<Time::rep>::max()};
  if ((!a.empty() && !parse_seconds(a, lo)) || (!b.empty() && !parse_seconds(b, hi)) || lo > hi)
    return fmt::format("bad time window '{}': write FROM..TO in virtual seconds (either may be left out), e.g. 0.05..0.1",
                       text);
  from = lo;
  to = hi;
  return {};
}

}  // namespace moira::sim
