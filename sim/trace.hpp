#pragma once
// The trace: every observable event of a run, with virtual time and step, folded into a 64-bit
// hash over a canonical encoding (never a pointer), and optionally kept for text / JSON-lines
// output. Same seed, options and build => same hash.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/pid.hpp"
#include "runtime/time.hpp"

namespace moira::sim {

enum class EventKind : std::uint8_t {
  spawn,         // a: child, b: parent; x: 1 link, 2 monitor
  send,          // a: from, b: to; text: message type
  deliver,       // an item reached its target's mailbox; a: from, b: to; x: item kind
  receive,       // a: the process that received a message
  exit,          // a: the process; text: reason
  link,          // a link signal: a from, b to
  unlink,        //
  monitor,       // a monitor signal; x: ref
  demonitor,     //
  down,          // a down signal; x: ref; text: reason
  exit_signal,   // x: 1 via a link; text: reason
  timeout,       // a receive timeout signal
  info,          // an info request
  timer_start,   // a: starter, b: target; x: ref; y: due (ns)
  timer_fire,    // x: ref
  timer_cancel,  // x: ref
  drop,          // an item lost (partition, lossy link, crashed node); a: from, b: to; text: why
  fault,         // text: what
  decision,      // x: number of options; y: choice; text: decision kind
};
std::string_view to_string(EventKind kind);

struct Event {
  std::uint64_t step = 0;
  Time time{};
  EventKind kind = EventKind::spawn;
  Pid a;
  Pid b;
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  std::string text;
};

// FNV-1a over bytes, for text folded into the hash.
std::uint64_t fnv1a(std::string_view bytes);

class Trace {
 public:
  void keep_events(bool on) { keep_ = on; }
  bool keeping_events() const { return keep_; }
  // text_hash: fnv1a(text), precomputed by callers that reuse a text (message type names).
  void add(std::uint64_t step, Time time, EventKind kind, Pid a, Pid b, std::uint64_t x, std::uint64_t y,
           std::string_view text, std::uint64_t text_hash) {
    mix(step);
    mix(static_cast<std::uint64_t>(time.count()));
    mix(static_cast<std::uint64_t>(kind));
    mix(pid_word(a));
    mix(pid_node_word(a));
    mix(pid_word(b));
    mix(pid_node_word(b));
    mix(x);
    mix(y);
    mix(text_hash);
    ++count_;
    if (keep_) events_.push_back(Event{step, time, kind, a, b, x, y, std::string{text}});
  }
  void add(std::uint64_t step, Time time, EventKind kind, Pid a = {}, Pid b = {}, std::uint64_t x = 0,
           std::uint64_t y = 0, std::string_view text = {}) {
    add(step, time, kind, a, b, x, y, text, text.empty() ? 0 : fnv1a(text));
  }

  std::uint64_t hash() const { return finalize(hash_); }
  std::uint64_t count() const { return count_; }
  const std::vector<Event>& events() const { return events_; }

  static std::string format_text(const Event& e);
  static std::string format_json(const Event& e);
  void write_text(std::ostream& out) const;
  void write_jsonl(std::ostream& out) const;

 private:
  static std::uint64_t pid_word(Pid p) { return std::uint64_t{p.index} << 32 | p.generation; }
  static std::uint64_t pid_node_word(Pid p) { return std::uint64_t{p.node} << 32 | p.incarnation; }
  // FNV-1a style, a 64-bit word at a time.
  void mix(std::uint64_t w) { hash_ = (hash_ ^ w) * 0x100000001b3ull; }
  static std::uint64_t finalize(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }

  std::uint64_t hash_ = 0xcbf29ce484222325ull;
  std::uint64_t count_ = 0;
  bool keep_ = false;
  std::vector<Event> events_;
};

}  // namespace moira::sim
