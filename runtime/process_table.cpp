#include "runtime/process_table.hpp"

#include <bit>
#include <new>
#include <stdexcept>

#include "runtime/process.hpp"

namespace moira {

namespace {

struct Place {
  std::uint32_t chunk;
  std::uint32_t offset;
};

// Chunk c starts at index kFirst * (2^c - 1): shifted by kFirst, an index's chunk is its bit width.
template <std::uint32_t kFirstBits>
Place place_of(std::uint32_t index) {
  std::uint64_t shifted = std::uint64_t{index} + (1u << kFirstBits);
  auto chunk = static_cast<std::uint32_t>(std::bit_width(shifted)) - kFirstBits - 1;
  return {chunk, static_cast<std::uint32_t>(shifted - (std::uint64_t{1} << (chunk + kFirstBits)))};
}

}  // namespace

// Only the chunks below chunk_limit_ can be allocated, so teardown walks just those. Nodes are made
// and dropped often in the simulator (restarts, thousands of seeds): both ends stay cheap.
ProcessTable::ProcessTable(NodeId node, std::uint32_t incarnation) : node_(node), incarnation_(incarnation) {}

ProcessTable::~ProcessTable() {
  std::uint32_t limit = chunk_limit_.load(std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < limit; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
}

ProcessTable::Slot* ProcessTable::slot(std::uint32_t index) const {
  Place at = place_of<kFirstChunkBits>(index);
  if (at.chunk >= kMaxChunks) return nullptr;
  Slot* c = chunks_[at.chunk].load(std::memory_order_acquire);
  return c ? &c[at.offset] : nullptr;
}

ProcessTable::Slot& ProcessTable::slot_or_grow(std::uint32_t index) {
  if (Slot* s = slot(index)) return *s;
  std::uint32_t chunk = place_of<kFirstChunkBits>(index).chunk;
  if (chunk >= kMaxChunks) throw std::length_error("moira: too many processes on one node");
  std::lock_guard lock{grow_mutex_};
  std::atomic<Slot*>& entry = chunks_[chunk];
  if (!entry.load(std::memory_order_relaxed)) {
    entry.store(new Slot[std::size_t{kFirstChunk} << chunk](), std::memory_order_release);
    if (chunk >= chunk_limit_.load(std::memory_order_relaxed)) chunk_limit_.store(chunk + 1, std::memory_order_relaxed);
  }
  return *slot(index);
}

Pid ProcessTable::reserve() {
  std::uint32_t index;
  std::uint64_t head = free_head_.load(std::memory_order_acquire);
  for (;;) {
    if ((head & 0xffffffffu) == 0) {
      index = next_fresh_.fetch_add(1, std::memory_order_relaxed);
      slot_or_grow(index);
      break;
    }
    std::uint32_t top = static_cast<std::uint32_t>(head & 0xffffffffu) - 1;
    // A racing pop may have taken `top` already; then next_free is stale, and the tag makes the CAS fail.
    std::uint64_t next = std::atomic_ref(slot(top)->next_free).load(std::memory_order_relaxed);
    std::uint64_t desired = ((head >> 32) + 1) << 32 | next;
    if (free_head_.compare_exchange_weak(head, desired, std::memory_order_acquire, std::memory_order_acquire)) {
      index = top;
      break;
    }
  }
  live_.fetch_add(1, std::memory_order_relaxed);
  Slot& s = *slot(index);
  return Pid{index, generation_of(s), node_, incarnation_};
}

void ProcessTable::publish(Pid pid, Process* p) {
  std::atomic_ref(slot(pid.index)->process).store(p, std::memory_order_release);
}

void ProcessTable::erase(Pid pid) {
  Slot& s = *slot(pid.index);
  std::atomic_ref(s.process).store(nullptr, std::memory_order_release);
  std::uint32_t gen = generation_of(s) + 1;
  std::atomic_ref(s.generation).store(gen == 0 ? 1 : gen, std::memory_order_relaxed);
  std::uint64_t head = free_head_.load(std::memory_order_relaxed);
  std::uint64_t desired;
  do {
    std::atomic_ref(s.next_free).store(static_cast<std::uint32_t>(head & 0xffffffffu), std::memory_order_relaxed);
    desired = ((head >> 32) + 1) << 32 | (pid.index + 1);
  } while (!free_head_.compare_exchange_weak(head, desired, std::memory_order_release, std::memory_order_relaxed));
  live_.fetch_sub(1, std::memory_order_relaxed);
}

Process* ProcessTable::acquire(Pid pid) {
  if (pid.is_null() || pid.node != node_ || pid.incarnation != incarnation_) return nullptr;
  Slot* s = slot(pid.index);
  if (!s) return nullptr;
  Process* p = std::atomic_ref(s->process).load(std::memory_order_acquire);
  if (!p || !p->retain()) return nullptr;
  if (p->self() != pid) {  // the slot's process changed under us
    p->release();
    return nullptr;
  }
  return p;
}

Process* ProcessTable::find_unretained(Pid pid) const {
  if (pid.is_null() || pid.node != node_ || pid.incarnation != incarnation_) return nullptr;
  Slot* s = slot(pid.index);
  if (!s) return nullptr;
  Process* p = std::atomic_ref(s->process).load(std::memory_order_acquire);
  // Not a guarantee (the slot may be reused right after this check), just the common case caught
  // early: a pid whose process is long gone is answered here rather than by the slot's new owner.
  if (generation_of(*s) != pid.generation) return nullptr;
  return p;
}

std::vector<Pid> ProcessTable::live_pids() const {
  std::vector<Pid> out;
  for_each_live([&out](Process& p) { out.push_back(p.self()); });
  return out;
}

void ProcessTable::for_each_live_impl(void (*call)(Process&, void*), void* fn) const {
  std::uint32_t n = next_fresh_.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < n; ++i) {
    Slot* s = slot(i);
    if (!s) continue;
    Process* p = std::atomic_ref(s->process).load(std::memory_order_acquire);
    if (p && p->retain()) {
      if (p->self().index == i) call(*p, fn);
      p->release();
    }
  }
}

}  // namespace moira
