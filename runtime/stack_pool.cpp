#include "runtime/stack_pool.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace moira::detail {
namespace {

constexpr std::size_t kMappingBytes = std::size_t{16} << 20;  // stacks carved per mmap
constexpr std::size_t kThreadCacheMax = 256;
// Free stacks kept with their pages resident for fast reuse, indefinitely. Beyond that, a burst of
// exits keeps its stacks resident for a while too (a spawn on a resident stack costs no page
// fault), and a background scavenger gives back the pages of the stacks that stayed unused for a
// whole decay period, so memory still returns to the kernel after a burst, a second or two later.
constexpr std::size_t kWarmMax = 4096;
constexpr auto kDecay = std::chrono::seconds(1);

std::size_t page_size() {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

struct SizeClass {
  std::size_t size = 0;
  std::vector<void*> warm;  // free, pages possibly resident; used from the back (LIFO)
  std::vector<void*> cold;  // free, pages given back
  // The fewest warm stacks since the scavenger's period began: warm[0, low_water) went unused
  // for the whole period.
  std::size_t low_water = 0;
};

struct Pool {
  std::mutex mutex;
  std::vector<SizeClass> classes;
  std::size_t mapped_bytes = 0;
  std::size_t released = 0;
  std::condition_variable scavenge_cv;
  bool scavenger_running = false;  // the thread exists (in this process: a fork's child has none)
  bool scavenger_idle = true;      // it waits for a surplus and must be woken to see one

  SizeClass& class_for(std::size_t size) {
    for (auto& c : classes)
      if (c.size == size) return c;
    classes.push_back(SizeClass{size, {}, {}, 0});
    return classes.back();
  }
  bool surplus_locked() const {
    for (auto& c : classes)
      if (c.warm.size() > kWarmMax) return true;
    return false;
  }
  // Called with the lock held when a class's warm list has grown past kWarmMax.
  void wake_scavenger_locked() {
    if (!scavenger_idle) return;
    scavenger_idle = false;
    if (scavenger_running) {
      scavenge_cv.notify_one();
    } else {
      try {
        std::thread([this] { scavenge_forever(); }).detach();
        scavenger_running = true;
      } catch (...) {
        scavenger_idle = true;  // no thread now: the stacks stay warm, and a later release retries
      }
    }
  }
  // Sleeps until some class has a surplus of warm stacks; then, once per decay period, gives back
  // the pages of the surplus stacks that no spawn took during the whole period. madvise runs
  // outside the lock, on address-sorted runs of adjacent stacks (one call per run, not per stack).
  [[noreturn]] void scavenge_forever() {
    std::unique_lock lock{mutex};
    std::vector<void*> out;
    for (;;) {
      while (!surplus_locked()) {
        scavenger_idle = true;
        scavenge_cv.wait(lock);
      }
      scavenger_idle = false;
      for (auto& c : classes) c.low_water = c.warm.size();
      auto until = std::chrono::steady_clock::now() + kDecay;
      while (scavenge_cv.wait_until(lock, until) != std::cv_status::timeout) {
      }
      // By index: another thread may add a class (and move the vector) while we are unlocked.
      for (std::size_t k = 0; k < classes.size(); ++k) {
        SizeClass& c = classes[k];
        std::size_t idle = std::min(c.low_water, c.warm.size());
        if (idle <= kWarmMax) continue;
        std::size_t n = idle - kWarmMax;
        out.assign(c.warm.begin(), c.warm.begin() + static_cast<std::ptrdiff_t>(n));
        c.warm.erase(c.warm.begin(), c.warm.begin() + static_cast<std::ptrdiff_t>(n));
        std::size_t size = c.size;
        lock.unlock();
        std::sort(out.begin(), out.end());
        for (std::size_t i = 0; i < out.size();) {
          std::size_t j = i + 1;
          while (j < out.size() && static_cast<char*>(out[j]) == static_cast<char*>(out[j - 1]) + size) ++j;
          ::madvise(out[i], (j - i) * size, MADV_DONTNEED);
          i = j;
        }
        lock.lock();
        // Highest addresses first, so the cold list hands out low addresses first (pop from the back).
        auto& cold = classes[k].cold;
        cold.insert(cold.end(), out.rbegin(), out.rend());
        released += n;
      }
    }
  }
  void refill(SizeClass& c) {
    std::size_t count = std::max<std::size_t>(1, kMappingBytes / c.size);
    std::size_t bytes = count * c.size;
    void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
      std::fprintf(stderr, "moira: cannot reserve %zu bytes for fiber stacks (mmap failed)\n", bytes);
      throw std::bad_alloc{};
    }
    mapped_bytes += bytes;
    // Hand out low addresses first: LIFO pop from the back.
    for (std::size_t i = count; i-- > 0;) c.cold.push_back(static_cast<char*>(mem) + i * c.size);
  }
};

Pool& pool() {
  static Pool* p = [] {
    auto* made = new Pool;  // never destroyed: stacks may be released during static destruction
    // A fork's child has no scavenger thread: let the child start its own.
    ::pthread_atfork(nullptr, nullptr, [] {
      Pool& q = pool();
      q.scavenger_running = false;
      q.scavenger_idle = true;
      new (&q.scavenge_cv) std::condition_variable;  // the parent's waiter does not exist here
    });
    return made;
  }();
  return *p;
}

// A per-thread cache of the most used size, so spawn and exit rarely take the pool's lock.
struct ThreadCache {
  std::size_t size = 0;
  std::vector<void*> stacks;
  ~ThreadCache() {
    if (stacks.empty()) return;
    Pool& p = pool();
    std::lock_guard lock{p.mutex};
    auto& c = p.class_for(size);
    c.warm.insert(c.warm.end(), stacks.begin(), stacks.end());
    if (c.warm.size() > kWarmMax) p.wake_scavenger_locked();
  }
};

// noinline: fibers call these and may migrate between threads; never let a caller cache the
// thread-local's address across a switch.
__attribute__((noinline)) ThreadCache& thread_cache() {
  thread_local ThreadCache cache;
  return cache;
}

}  // namespace

Stack allocate_stack(std::size_t size) {
  std::size_t page = page_size();
  size = (size + page - 1) / page * page;
  ThreadCache& tc = thread_cache();
  if (tc.size == size && !tc.stacks.empty()) {
    void* s = tc.stacks.back();
    tc.stacks.pop_back();
    return Stack{s, size};
  }
  Pool& p = pool();
  std::lock_guard lock{p.mutex};
  auto& c = p.class_for(size);
  if (c.warm.empty() && c.cold.empty()) p.refill(c);
  auto& from = c.warm.empty() ? c.cold : c.warm;
  void* s = from.back();
  from.pop_back();
  c.low_water = std::min(c.low_water, c.warm.size());
  return Stack{s, size};
}

void release_stack(Stack stack) {
  if (!stack.base) return;
  ThreadCache& tc = thread_cache();
  if (tc.stacks.empty()) tc.size = stack.size;
  if (tc.size == stack.size && tc.stacks.size() < kThreadCacheMax) {
    tc.stacks.push_back(stack.base);
    return;
  }
  Pool& p = pool();
  std::lock_guard lock{p.mutex};
  auto& c = p.class_for(stack.size);
  c.warm.push_back(stack.base);
  if (c.warm.size() > kWarmMax) p.wake_scavenger_locked();
}

StackPoolStats stack_pool_stats() {
  Pool& p = pool();
  std::lock_guard lock{p.mutex};
  StackPoolStats s;
  s.mapped_bytes = p.mapped_bytes;
  s.released_stacks = p.released;
  for (auto& c : p.classes) s.free_stacks += c.warm.size() + c.cold.size();
  return s;
}

}  // namespace moira::detail
