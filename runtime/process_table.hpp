#pragma once
// pid -> Process*, lock-free for lookups. Slots are reused with a new generation, so an old pid
// never reaches a new process. Lookups take a reference (Process::retain), so a process found
// here stays valid until the finder releases it even if it exits meanwhile.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/pid.hpp"

namespace moira {

class Process;

class ProcessTable {
 public:
  ProcessTable(NodeId node, std::uint32_t incarnation);
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  Pid reserve();                       // a fresh pid, not yet findable
  void publish(Pid pid, Process* p);   // make it findable (p must hold a reference)
  void erase(Pid pid);                 // no longer findable; slot reused later
  Process* acquire(Pid pid);           // +1 reference, or null if there is no such process
  // The process in pid's slot, without a reference: it may have exited, or even be another process
  // by the time the caller looks (Process objects are pooled, never freed, so the memory stays a
  // Process). Only for touching its atomics: the mailbox push, whose receiver checks the address.
  Process* find_unretained(Pid pid) const;
  std::vector<Pid> live_pids() const;  // a snapshot, in slot order
  // Calls f on every live process, holding a reference to it meanwhile (slot order; processes
  // spawned or ending meanwhile may or may not be seen).
  template <class F>
  void for_each_live(F&& f) const {
    for_each_live_impl([](Process& p, void* fn) { (*static_cast<F*>(fn))(p); }, &f);
  }
  std::size_t size() const { return live_.load(std::memory_order_relaxed); }

 private:
  // Plain fields, accessed through std::atomic_ref: a zeroed chunk is a valid one, so a new chunk
  // costs one memset rather than three atomic constructors per slot (a function call each at -O0,
  // where the simulator makes a table per node per seed: with the old fixed 4096-slot chunks and
  // 16,384-entry directory, a third of a short Debug/ASan sweep went there).
  struct Slot {
    Process* process;          // trivial members: `new Slot[n]()` is one memset
    std::uint32_t generation;  // 0 stands for 1: see generation_of
    std::uint32_t next_free;   // 1-based index of the next free slot (read racily; the tag decides)
  };
  static std::uint32_t generation_of(Slot& s) {
    std::uint32_t g = std::atomic_ref(s.generation).load(std::memory_order_relaxed);
    return g == 0 ? 1 : g;
  }
  // Chunk c holds kFirstChunk << c slots, so a table starts with no allocation and a short-lived
  // simulated node with a handful of processes touches one small chunk, while a node of millions
  // of processes still has a handful of chunks. Index -> chunk is one bit_width.
  static constexpr std::uint32_t kFirstChunkBits = 6;
  static constexpr std::uint32_t kFirstChunk = 1u << kFirstChunkBits;
  static constexpr std::uint32_t kMaxChunks = 21;  // 64 * (2^21 - 1): 134M processes per node

  void for_each_live_impl(void (*call)(Process&, void*), void* fn) const;
  Slot* slot(std::uint32_t index) const;
  Slot& slot_or_grow(std::uint32_t index);

  NodeId node_;
  std::uint32_t incarnation_;
  std::array<std::atomic<Slot*>, kMaxChunks> chunks_{};
  std::mutex grow_mutex_;
  std::atomic<std::uint32_t> chunk_limit_{0};  // every allocated chunk is below this (set under grow_mutex_)
  std::atomic<std::uint32_t> next_fresh_{0};
  std::atomic<std::uint64_t> free_head_{0};  // (tag << 32) | (index + 1); 0 = empty
  std::atomic<std::size_t> live_{0};
};

}  // namespace moira
