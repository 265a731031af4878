// The simulator's side of the trace views: what it attaches to kept events beside the hash (who
// was running, which event caused which), and the scenario's marks. Nothing here runs unless the
// trace is kept, and nothing here changes the hash.
#include "sim/simulation.hpp"

namespace moira::sim {

namespace {
constexpr std::uint32_t kStamped = 0x8000'0000u;
constexpr std::uint64_t kSeqBits = 0x7fff'ffffu;
}  // namespace

void Simulation::decorate(Event& e, std::uint64_t cause) {
  if (current_) e.actor = current_->self();
  e.cause = cause != kNoEvent ? cause : cause_;
}

void Simulation::stamp(moira::detail::Item& item) {
  if (!trace_.keeping_events()) return;
  item.trace_stamp = kStamped | static_cast<std::uint32_t>(last_seq() & kSeqBits);
}

// The latest seq whose low 31 bits are the stamp's: exact unless 2^31 events passed in between.
std::uint64_t Simulation::stamped(const moira::detail::Item& item) const {
  if (!trace_.keeping_events() || !(item.trace_stamp & kStamped)) return kNoEvent;
  const std::uint64_t low = item.trace_stamp & kSeqBits;
  const std::uint64_t now = last_seq();
  if (now == kNoEvent) return kNoEvent;
  std::uint64_t seq = (now & ~kSeqBits) | low;
  if (seq > now) {
    if (seq < kSeqBits + 1) return kNoEvent;
    seq -= kSeqBits + 1;
  }
  return seq;
}

void Simulation::note_drop(moira::detail::Item& item, std::string_view why) {
  trace_.add(steps_, now_, EventKind::drop, item.from, item.to, static_cast<std::uint64_t>(item.kind), 0, why);
  if (Event* e = trace_.last()) {
    decorate(*e, stamped(item));
    stamp(item);
  }
}

void Simulation::mark(Pid pid, std::string_view text) {
  trace_.mark(steps_, now_, pid, text);
  if (Event* e = trace_.last()) decorate(*e, kNoEvent);
}

}  // namespace moira::sim
