#pragma once
// Fiber stacks: carved many to a mapping (vm.max_map_count is 65530), reserved with mmap and
// committed by the kernel on first touch, so an idle fiber costs the pages it actually used.
// There are no guard pages between stacks — a guard page per stack would need a mapping per
// stack — so a fiber that overflows its stack_size corrupts its neighbour: size stacks generously.
#include <cstddef>

namespace moira::detail {

struct Stack {
  void* base = nullptr;  // lowest address
  std::size_t size = 0;
  void* top() const { return static_cast<char*>(base) + size; }
};

Stack allocate_stack(std::size_t size);
void release_stack(Stack stack);

struct StackPoolStats {
  std::size_t mapped_bytes = 0;   // reserved address space
  std::size_t free_stacks = 0;    // in the shared free lists (not counting per-thread caches)
  std::size_t released_stacks = 0;  // stacks whose pages were given back to the kernel
};
StackPoolStats stack_pool_stats();

}  // namespace moira::detail
