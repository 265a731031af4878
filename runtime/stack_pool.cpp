#include "runtime/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace moira::detail {
namespace {

constexpr std::size_t kMappingBytes = std::size_t{16} << 20;  // stacks carved per mmap
constexpr std::size_t kThreadCacheMax = 256;
// Free stacks kept with their pages resident for fast reuse; beyond that, pages go back to the
// kernel (one madvise each) so a burst of exits returns memory.
constexpr std::size_t kWarmMax = 4096;

std::size_t page_size() {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

struct SizeClass {
  std::size_t size = 0;
  std::vector<void*> warm;  // free, pages possibly resident
  std::vector<void*> cold;  // free, pages given back
};

struct Pool {
  std::mutex mutex;
  std::vector<SizeClass> classes;
  std::size_t mapped_bytes = 0;
  std::size_t released = 0;

  SizeClass& class_for(std::size_t size) {
    for (auto& c : classes)
      if (c.size == size) return c;
    classes.push_back(SizeClass{size, {}, {}});
    return classes.back();
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
  static Pool* p = new Pool;  // never destroyed: stacks may be released during static destruction
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
  std::unique_lock lock{p.mutex};
  auto& c = p.class_for(stack.size);
  if (c.warm.size() < kWarmMax) {
    c.warm.push_back(stack.base);
    return;
  }
  // Give the pages back before the stack is visible to others again.
  lock.unlock();
  ::madvise(stack.base, stack.size, MADV_DONTNEED);
  lock.lock();
  ++p.released;
  p.class_for(stack.size).cold.push_back(stack.base);
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
