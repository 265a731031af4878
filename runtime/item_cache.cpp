// The shared depot behind ItemCache's per-thread free lists (runtime/message.hpp).
#include <mutex>
#include <vector>

#include "runtime/message.hpp"

namespace moira::detail {

namespace {

struct Depot {
  std::mutex mutex;
  std::vector<void*> batches[ItemCache::kClasses];  // each a null-terminated chain of kBatch blocks
};

Depot& depot() {
  static Depot* d = new Depot;  // never destroyed: threads may still spill while statics die
  return *d;
}

}  // namespace

void ItemCache::spill(Lists& l, std::size_t c) noexcept {
  Block* first = l.head[c];
  Block* last = first;
  for (std::uint32_t i = 1; i < kBatch; ++i) last = last->next;
  l.head[c] = last->next;
  l.count[c] -= kBatch;
  last->next = nullptr;
  {
    Depot& d = depot();
    std::lock_guard lock{d.mutex};
    if (d.batches[c].size() < kDepotBatches) {
      try {
        d.batches[c].push_back(first);
        return;
      } catch (...) {  // no memory for the depot's vector: free the batch instead
      }
    }
  }
  while (first) {
    Block* next = first->next;
    ::operator delete(first);
    first = next;
  }
}

void ItemCache::refill(Lists& l, std::size_t c) noexcept {
  if (!l.alive) return;
  Depot& d = depot();
  std::lock_guard lock{d.mutex};
  if (d.batches[c].empty()) return;
  l.head[c] = static_cast<Block*>(d.batches[c].back());
  l.count[c] = kBatch;
  d.batches[c].pop_back();
}

std::size_t ItemCache::depot_batches(std::size_t n) {
  if (n == 0 || n > kGrain * kClasses) return 0;
  Depot& d = depot();
  std::lock_guard lock{d.mutex};
  return d.batches[(n - 1) / kGrain].size();
}

void ItemCache::drain(Lists& l) noexcept {
  l.alive = false;
  for (std::size_t c = 0; c < kClasses; ++c) {
    while (Block* b = l.head[c]) {
      l.head[c] = b->next;
      ::operator delete(b);
    }
    l.count[c] = 0;
  }
}

}  // namespace moira::detail
