#include "runtime/stack_pool.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace moira::detail {
namespace {

// Linux 6.13's lightweight guard regions (uapi asm-generic/mman-common.h); Debian 12's headers
// predate them. An older kernel answers EINVAL.
#ifdef MADV_GUARD_INSTALL
constexpr int kMadvGuardInstall = MADV_GUARD_INSTALL;
#else
constexpr int kMadvGuardInstall = 102;
#endif

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

// PROT_NONE guards split a mapping in two per stack; they may use this share of
// vm.max_map_count, the rest is left to the program (malloc, thread stacks, sanitizers).
std::size_t mprotect_vma_budget() {
  std::size_t max_map_count = 65530;
  std::ifstream in("/proc/sys/vm/max_map_count");
  in >> max_map_count;
  return max_map_count / 2;
}

struct FreeList {
  std::vector<void*> warm;  // free, pages possibly resident; used from the back (LIFO)
  std::vector<void*> cold;  // free, pages given back
  // The fewest warm stacks since the scavenger's period began: warm[0, low_water) went unused
  // for the whole period.
  std::size_t low_water = 0;

  bool empty() const { return warm.empty() && cold.empty(); }
  void* take() {
    auto& from = warm.empty() ? cold : warm;
    void* s = from.back();
    from.pop_back();
    low_water = std::min(low_water, warm.size());
    return s;
  }
};

struct SizeClass {
  std::size_t size = 0;
  FreeList guarded;  // taken first
  FreeList bare;     // without a guard page (none left in the VMA budget, or guards off)
  FreeList& list(bool with_guard) { return with_guard ? guarded : bare; }
};

// Each stack sits `size + page` apart: the page below it is its guard (or, unguarded, slack).
std::size_t stride_of(std::size_t size) { return size + page_size(); }

// The guards of a whole mapping in one system call (process_madvise on ourselves, which accepts
// MADV_GUARD_INSTALL from Linux 6.13 on, like madvise): ~40% cheaper than a madvise per stack. A
// pidfd per mapping, so a fork's child never uses its parent's. False: do it stack by stack.
bool install_guard_regions(char* mem, std::size_t stride, std::size_t count) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pidfd < 0) return false;
  constexpr std::size_t kMaxIov = 1024;  // UIO_MAXIOV
  std::vector<iovec> iov;
  bool ok = true;
  for (std::size_t first = 0; first < count && ok; first += kMaxIov) {
    std::size_t n = std::min(kMaxIov, count - first);
    iov.clear();
    for (std::size_t i = first; i < first + n; ++i) iov.push_back(iovec{mem + i * stride, page_size()});
    long done = ::syscall(SYS_process_madvise, pidfd, iov.data(), n, kMadvGuardInstall, 0);
    ok = done == static_cast<long>(n * page_size());
  }
  ::close(pidfd);
  return ok;
}

// Reserves `count` stacks and installs their guards as `how` says. False if a guard could not be
// installed (the stacks are then usable, but unguarded); throws std::bad_alloc if mmap fails.
bool map_stacks(void*& mem, std::size_t size, std::size_t count, GuardMode how) {
  std::size_t stride = stride_of(size);
  mem = ::mmap(nullptr, count * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) {
    std::fprintf(stderr, "moira: cannot reserve %zu bytes for fiber stacks (mmap failed)\n", count * stride);
    throw std::bad_alloc{};
  }
  if (how == GuardMode::off) return true;
  if (how == GuardMode::guard_regions && install_guard_regions(static_cast<char*>(mem), stride, count)) return true;
  for (std::size_t i = 0; i < count; ++i) {
    char* guard = static_cast<char*>(mem) + i * stride;
    int rc = how == GuardMode::guard_regions ? ::madvise(guard, page_size(), kMadvGuardInstall)
                                             : ::mprotect(guard, page_size(), PROT_NONE);
    if (rc != 0) return false;
  }
  return true;
}

GuardMode probe_guard_regions() {
  void* scratch = ::mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (scratch == MAP_FAILED) return GuardMode::mprotect;
  bool ok = ::madvise(scratch, page_size(), kMadvGuardInstall) == 0;
  ::munmap(scratch, page_size());
  return ok ? GuardMode::guard_regions : GuardMode::mprotect;
}

struct Pool {
  std::mutex mutex;
  std::vector<SizeClass> classes;
  std::size_t mapped_bytes = 0;
  std::size_t released = 0;
  std::size_t guarded_count = 0;
  std::size_t unguarded_count = 0;
  // Decided once, under the lock, before the first stack exists; read without it afterwards.
  std::atomic<GuardMode> mode{GuardMode::guard_regions};
  bool mode_decided = false;
  std::string mode_error;   // a bad MOIRA_STACK_GUARD: every allocation throws it
  std::size_t vma_budget = 0;  // mprotect mode: mappings guards may still split off
  std::condition_variable scavenge_cv;
  bool scavenger_running = false;  // the thread exists (in this process: a fork's child has none)
  bool scavenger_idle = true;      // it waits for a surplus and must be woken to see one

  SizeClass& class_for(std::size_t size) {
    for (auto& c : classes)
      if (c.size == size) return c;
    classes.push_back(SizeClass{size, {}, {}});
    return classes.back();
  }
  void decide_mode_locked() {
    if (mode_decided) return;
    mode_decided = true;
    const char* env = std::getenv("MOIRA_STACK_GUARD");
    std::string want = env ? env : "";
    GuardMode m = GuardMode::guard_regions;
    if (want.empty() || want == "auto") {
      m = probe_guard_regions();
    } else if (want == "mprotect") {
      m = GuardMode::mprotect;
    } else if (want == "off") {
      m = GuardMode::off;
    } else {
      mode_error = "MOIRA_STACK_GUARD='" + want + "' is not one of auto, mprotect, off (unset it to let moira choose)";
    }
    if (m == GuardMode::mprotect) vma_budget = mprotect_vma_budget();
    mode.store(m, std::memory_order_relaxed);
  }
  // How the next mapping of `count` stacks gets its guards; charges the VMA budget.
  GuardMode guards_for_locked(std::size_t count) {
    GuardMode m = mode.load(std::memory_order_relaxed);
    if (m != GuardMode::mprotect) return m;
    std::size_t cost = 2 * count + 1;
    if (vma_budget < cost) return GuardMode::off;
    vma_budget -= cost;
    return m;
  }
  static bool surplus(const SizeClass& c) { return c.guarded.warm.size() > kWarmMax || c.bare.warm.size() > kWarmMax; }
  bool surplus_locked() const {
    return std::any_of(classes.begin(), classes.end(), [](const SizeClass& c) { return surplus(c); });
  }
  // Called with the lock held when a warm list has grown past kWarmMax.
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
  // outside the lock, on address-sorted runs of adjacent stacks (one call per run, not per stack;
  // the guards between them survive MADV_DONTNEED).
  [[noreturn]] void scavenge_forever() {
    std::unique_lock lock{mutex};
    std::vector<void*> out;
    for (;;) {
      while (!surplus_locked()) {
        scavenger_idle = true;
        scavenge_cv.wait(lock);
      }
      scavenger_idle = false;
      for (auto& c : classes) {
        c.guarded.low_water = c.guarded.warm.size();
        c.bare.low_water = c.bare.warm.size();
      }
      auto until = std::chrono::steady_clock::now() + kDecay;
      while (scavenge_cv.wait_until(lock, until) != std::cv_status::timeout) {
      }
      // By index: another thread may add a class (and move the vector) while we are unlocked.
      for (std::size_t k = 0; k < classes.size(); ++k) {
        for (bool with_guard : {true, false}) scavenge_locked(lock, k, with_guard, out);
      }
    }
  }
  void scavenge_locked(std::unique_lock<std::mutex>& lock, std::size_t k, bool with_guard, std::vector<void*>& out) {
    FreeList& l = classes[k].list(with_guard);
    std::size_t idle = std::min(l.low_water, l.warm.size());
    if (idle <= kWarmMax) return;
    std::size_t n = idle - kWarmMax;
    out.assign(l.warm.begin(), l.warm.begin() + static_cast<std::ptrdiff_t>(n));
    l.warm.erase(l.warm.begin(), l.warm.begin() + static_cast<std::ptrdiff_t>(n));
    std::size_t size = classes[k].size;
    std::size_t stride = stride_of(size);
    lock.unlock();
    std::sort(out.begin(), out.end());
    for (std::size_t i = 0; i < out.size();) {
      std::size_t j = i + 1;
      while (j < out.size() && static_cast<char*>(out[j]) == static_cast<char*>(out[j - 1]) + stride) ++j;
      ::madvise(out[i], (j - i - 1) * stride + size, MADV_DONTNEED);
      i = j;
    }
    lock.lock();
    // Highest addresses first, so the cold list hands out low addresses first (pop from the back).
    auto& cold = classes[k].list(with_guard).cold;
    cold.insert(cold.end(), out.rbegin(), out.rend());
    released += n;
  }
  // A new mapping's stacks join the free lists (called with the lock held).
  void add_mapping_locked(void* mem, std::size_t size, std::size_t count, bool with_guard) {
    std::size_t stride = stride_of(size);
    mapped_bytes += count * stride;
    (with_guard ? guarded_count : unguarded_count) += count;
    // Hand out low addresses first: LIFO pop from the back.
    auto& cold = class_for(size).list(with_guard).cold;
    for (std::size_t i = count; i-- > 0;) cold.push_back(static_cast<char*>(mem) + i * stride + page_size());
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

// A per-thread cache of the most used size, so spawn and exit rarely take the pool's lock. It
// holds one kind of stack: guarded ones, or (with guards off) bare ones. Unguarded stacks in
// mprotect mode always go back to the pool, so a spawn there finds the guarded ones first.
struct ThreadCache {
  std::size_t size = 0;
  bool guarded = false;
  std::vector<void*> stacks;
  ~ThreadCache() {
    if (stacks.empty()) return;
    Pool& p = pool();
    std::lock_guard lock{p.mutex};
    auto& l = p.class_for(size).list(guarded);
    l.warm.insert(l.warm.end(), stacks.begin(), stacks.end());
    if (l.warm.size() > kWarmMax) p.wake_scavenger_locked();
  }
};

// noinline: fibers call these and may migrate between threads; never let a caller cache the
// thread-local's address across a switch.
__attribute__((noinline)) ThreadCache& thread_cache() {
  thread_local ThreadCache cache;
  return cache;
}

std::size_t checked_size(std::size_t size) {
  std::size_t page = page_size();
  if (size > std::numeric_limits<std::uint32_t>::max() - page) {
    throw std::invalid_argument("moira: a fiber stack_size of " + std::to_string(size) +
                                " bytes is over the 4 GiB limit; ask for less in SpawnOptions::stack_size");
  }
  return std::max(page, (size + page - 1) / page * page);
}

}  // namespace

Stack allocate_stack(std::size_t requested) {
  std::size_t size = checked_size(requested);
  ThreadCache& tc = thread_cache();
  if (tc.size == size && !tc.stacks.empty()) {
    void* s = tc.stacks.back();
    tc.stacks.pop_back();
    return Stack{s, static_cast<std::uint32_t>(size), tc.guarded};
  }
  Pool& p = pool();
  for (;;) {
    GuardMode how;
    std::size_t count = std::max<std::size_t>(1, kMappingBytes / stride_of(size));
    {
      std::lock_guard lock{p.mutex};
      p.decide_mode_locked();
      if (!p.mode_error.empty()) throw std::invalid_argument("moira: " + p.mode_error);
      auto& c = p.class_for(size);
      for (bool with_guard : {true, false}) {
        if (!c.list(with_guard).empty()) return Stack{c.list(with_guard).take(), static_cast<std::uint32_t>(size), with_guard};
      }
      how = p.guards_for_locked(count);
    }
    // Outside the lock: installing a mapping's guards takes a system call per stack.
    void* mem = nullptr;
    bool guarded = map_stacks(mem, size, count, how) && how != GuardMode::off;
    std::lock_guard lock{p.mutex};
    p.add_mapping_locked(mem, size, count, guarded);
  }
}

void release_stack(Stack stack) {
  if (!stack.base) return;
  Pool& p = pool();
  if (stack.guarded || p.mode.load(std::memory_order_relaxed) == GuardMode::off) {
    ThreadCache& tc = thread_cache();
    if (tc.stacks.empty()) {
      tc.size = stack.size;
      tc.guarded = stack.guarded;
    }
    if (tc.size == stack.size && tc.guarded == stack.guarded && tc.stacks.size() < kThreadCacheMax) {
      tc.stacks.push_back(stack.base);
      return;
    }
  }
  std::lock_guard lock{p.mutex};
  auto& l = p.class_for(stack.size).list(stack.guarded);
  l.warm.push_back(stack.base);
  if (l.warm.size() > kWarmMax) p.wake_scavenger_locked();
}

std::size_t stack_guard_bytes() { return page_size(); }

const char* to_string(GuardMode mode) {
  switch (mode) {
    case GuardMode::guard_regions: return "guard regions (MADV_GUARD_INSTALL)";
    case GuardMode::mprotect: return "PROT_NONE pages within a VMA budget";
    case GuardMode::off: return "off";
  }
  return "?";
}

StackPoolStats stack_pool_stats() {
  Pool& p = pool();
  std::lock_guard lock{p.mutex};
  StackPoolStats s;
  s.mapped_bytes = p.mapped_bytes;
  s.released_stacks = p.released;
  s.guarded_stacks = p.guarded_count;
  s.unguarded_stacks = p.unguarded_count;
  s.mode = p.mode.load(std::memory_order_relaxed);
  for (auto& c : p.classes) s.free_stacks += c.guarded.warm.size() + c.guarded.cold.size() + c.bare.warm.size() + c.bare.cold.size();
  return s;
}

}  // namespace moira::detail
