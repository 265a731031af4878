#include "sim/trace.hpp"

#include <array>
#include <ostream>

#include <fmt/format.h>


namespace moira::sim {
namespace {

constexpr std::array<std::string_view, 20> kNames{
    "spawn",       "send",    "deliver", "receive",     "exit",       "link",         "unlink",
    "monitor",     "demonitor", "down",  "exit_signal", "timeout",    "info",         "timer_start",
    "timer_fire",  "timer_cancel", "drop", "fault",     "decision",   "mark"};

std::string seconds(Time t) { return fmt::format("{}.{:09}", t.count() / 1'000'000'000, t.count() % 1'000'000'000); }

// The fields each kind uses, in words: what x and y mean.
std::string details(const Event& e) {
  switch (e.kind) {
    case EventKind::spawn:
      return fmt::format("{} parent={}{}{}", e.a, e.b, e.x & 1 ? " link" : "", e.x & 2 ? " monitor" : "");
    case EventKind::send: return fmt::format("{} -> {} {}", e.a, e.b, e.text);
    case EventKind::deliver: return fmt::format("{} -> {} item={}", e.a, e.b, e.x);
    case EventKind::receive: return fmt::format("{}", e.a);
    case EventKind::exit: return fmt::format("{} reason={}", e.a, e.text);
    case EventKind::link:
    case EventKind::unlink:
    case EventKind::timeout:
    case EventKind::info: return fmt::format("{} -> {}", e.a, e.b);
    case EventKind::monitor:
    case EventKind::demonitor: return fmt::format("{} -> {} ref={}", e.a, e.b, e.x);
    case EventKind::down: return fmt::format("{} -> {} ref={} reason={}", e.a, e.b, e.x, e.text);
    case EventKind::exit_signal:
      return fmt::format("{} -> {} reason={}{}", e.a, e.b, e.text, e.x ? " (link)" : "");
    case EventKind::timer_start: return fmt::format("{} -> {} ref={} due={}", e.a, e.b, e.x, seconds(Time{e.y}));
    case EventKind::timer_fire:
    case EventKind::timer_cancel: return fmt::format("ref={}", e.x);
    case EventKind::drop: return fmt::format("{} -> {} {}", e.a, e.b, e.text);
    case EventKind::fault: return std::string{e.text};
    case EventKind::decision:
      return fmt::format("{} {} of {}", e.text, e.y, e.x);
    case EventKind::mark: return fmt::format("{} {}", e.a, e.text);
  }
  return {};
}

}  // namespace

std::string_view to_string(EventKind kind) { return kNames.at(static_cast<std::size_t>(kind)); }

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Trace::format_text(const Event& e) {
  return fmt::format("{:>8} {} {} {}", e.step, seconds(e.time), to_string(e.kind), details(e));
}

std::string Trace::format_json(const Event& e) {
  std::string out = fmt::format(R"({{"step":{},"time_ns":{},"kind":"{}","a":"{}","b":"{}","x":{},"y":{},"text":"{}","seq":{})",
                                e.step, e.time.count(), to_string(e.kind), e.a, e.b, e.x, e.y, json_escape(e.text), e.seq);
  if (e.cause != kNoEvent) out += fmt::format(R"(,"cause":{})", e.cause);
  if (!e.actor.is_null()) out += fmt::format(R"(,"actor":"{}")", e.actor);
  if (!e.detail.empty()) out += fmt::format(R"(,"detail":"{}")", json_escape(e.detail));
  return out + "}";
}

void Trace::push(std::uint64_t step, Time time, EventKind kind, Pid a, Pid b, std::uint64_t x, std::uint64_t y,
                 std::string_view text) {
  Event& e = events_.emplace_back();
  e.step = step;
  e.time = time;
  e.kind = kind;
  e.a = a;
  e.b = b;
  e.x = x;
  e.y = y;
  e.text = text;
  e.seq = seq_++;
  const Time now = time;
  if (limit_ > 0)
    while (events_.size() > limit_) events_.pop_front();
  if (window_.count() > 0)
    while (events_.front().time < now - window_) events_.pop_front();
}

const Event* Trace::find(std::uint64_t seq) const {
  if (events_.empty() || seq < events_.front().seq || seq > events_.back().seq) return nullptr;
  return &events_[seq - events_.front().seq];
}

void Trace::name_process(Pid pid, const std::string& name) {
  auto [it, fresh] = process_names_.try_emplace(pid, name);
  if (!fresh && it->second != name) it->second = name;
}

void Trace::name_node(NodeId node, std::string_view name) {
  if (node_names_.size() <= node) node_names_.resize(node + 1);
  node_names_[node] = std::string{name};
}

void Trace::write_text(std::ostream& out) const {
  for (const auto& e : events_) out << format_text(e) << '\n';
}

void Trace::write_jsonl(std::ostream& out) const {
  for (const auto& e : events_) out << format_json(e) << '\n';
}

}  // namespace moira::sim
