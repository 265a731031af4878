#include "runtime/arena.hpp"

#include <sys/mman.h>

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define MOIRA_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOIRA_LSAN 1
#endif
#endif
#if MOIRA_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace moira::detail {
namespace {

constexpr std::size_t kRegion = std::size_t{2} << 20;

char* map_region() {
  void* m = ::mmap(nullptr, kRegion, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
#if MOIRA_LSAN
  // The objects here own heap memory (a Process's vectors and strings): let LeakSanitizer see them.
  __lsan_register_root_region(m, kRegion);
#endif
  return static_cast<char*>(m);
}

struct Cursor {
  char* next = nullptr;
  char* end = nullptr;
};

}  // namespace

// noinline: fibers may move between threads; each call must find its own thread's cursor.
__attribute__((noinline)) void* arena_allocate(std::size_t size) {
  thread_local Cursor c;
  size = (size + 63) & ~std::size_t{63};
  if (size > kRegion) throw std::bad_alloc();
  if (static_cast<std::size_t>(c.end - c.next) < size) {
    c.next = map_region();  // the old region's tail (< size bytes) is left unused
    c.end = c.next + kRegion;
  }
  void* p = c.next;
  c.next += size;
  return p;
}

}  // namespace moira::detail
