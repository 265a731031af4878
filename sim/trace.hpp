#pragma once
// The trace: every observable event of a run, with virtual time and step, folded into a 64-bit
// hash over a canonical encoding (never a pointer), and optionally kept for the views (text,
// JSON lines, causal slices, HTML, Perfetto). Same seed, options and build => same hash.
// What the views need beyond the hashed fields (which event caused which, who was running, a
// message's contents, registered and node names) is kept beside the hash, never in it.
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <limits>
#include <map>
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
  mark,          // a: the process; text: what a scenario noted there (kept, never hashed)
};
std::string_view to_string(EventKind kind);

inline constexpr std::uint64_t kNoEvent = std::numeric_limits<std::uint64_t>::max();

struct Event {
  std::uint64_t step = 0;
  Time time{};
  EventKind kind = EventKind::spawn;
  Pid a;
  Pid b;
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  std::string text;
  // Presentation only (never hashed):
  std::uint64_t seq = 0;         // its place among all the run's events, kept or not: 0, 1, 2, ...
  std::uint64_t cause = kNoEvent;  // seq of what made it happen: a receive's delivery, a delivery's
                                   // send, a timer's start, the fault behind an engine's signal
  Pid actor;                     // the process running when it happened (null: the engine's own doing)
  std::string detail;            // a message's contents, through its fmt::formatter
};

// FNV-1a over bytes, for text folded into the hash.
std::uint64_t fnv1a(std::string_view bytes);
// The contents of a JSON string (without the quotes).
std::string json_escape(std::string_view s);

class Trace {
 public:
  void keep_events(bool on) { keep_ = on; }
  bool keeping_events() const { return keep_; }
  // Bounded keeping, for long runs: only the last `events` events (0: all) and only those of the
  // last `window` of virtual time (0: all). The hash still covers every event.
  void keep_last(std::uint64_t events, Duration window) {
    limit_ = events;
    window_ = window;
  }
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
    if (keep_) push(step, time, kind, a, b, x, y, text);
  }
  void add(std::uint64_t step, Time time, EventKind kind, Pid a = {}, Pid b = {}, std::uint64_t x = 0,
           std::uint64_t y = 0, std::string_view text = {}) {
    add(step, time, kind, a, b, x, y, text, text.empty() ? 0 : fnv1a(text));
  }
  // A scenario's note, kept with the events (when keeping) but not hashed.
  void mark(std::uint64_t step, Time time, Pid pid, std::string_view text) {
    if (keep_) push(step, time, EventKind::mark, pid, {}, 0, 0, text);
  }
  // The event just added, to attach presentation data to (null when not keeping).
  Event* last() { return keep_ && !events_.empty() ? &events_.back() : nullptr; }

  std::uint64_t hash() const { return finalize(hash_); }
  std::uint64_t count() const { return count_; }  // hashed events (marks are not)
  std::uint64_t seen() const { return seq_; }     // every event, kept or not, marks included
  std::uint64_t not_kept() const { return seq_ - events_.size(); }  // dropped by keep_last (or before keeping)
  const std::deque<Event>& events() const { return events_; }
  const Event* find(std::uint64_t seq) const;  // a kept event by seq

  // Names for the views: registered names of processes, names of nodes.
  void name_process(Pid pid, const std::string& name);
  void name_node(NodeId node, std::string_view name);
  const std::map<Pid, std::string>& process_names() const { return process_names_; }
  const std::vector<std::string>& node_names() const { return node_names_; }

  static std::string format_text(const Event& e);
  static std::string format_json(const Event& e);
  void write_text(std::ostream& out) const;
  void write_jsonl(std::ostream& out) const;

 private:
  void push(std::uint64_t step, Time time, EventKind kind, Pid a, Pid b, std::uint64_t x, std::uint64_t y,
            std::string_view text);
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
  std::uint64_t seq_ = 0;
  bool keep_ = false;
  std::uint64_t limit_ = 0;
  Duration window_{};
  std::deque<Event> events_;
  std::map<Pid, std::string> process_names_;
  std::vector<std::string> node_names_;
};

}  // namespace moira::sim
