#pragma once
// Fiber stacks: carved many to a mapping (vm.max_map_count is 65530), reserved with mmap and
// committed by the kernel on first touch, so an idle fiber costs the pages it actually used.
//
// Below each stack lies a guard page, so a fiber that runs off its stack faults (and is ended by
// stack_guard.hpp's handler) instead of writing into its neighbour. On Linux 6.13+ the guards are
// page-table markers (MADV_GUARD_INSTALL), which cost no mapping: every stack has one. On older
// kernels they are PROT_NONE pages, two mappings per stack, so only while half of
// vm.max_map_count allows (~16k stacks); stacks carved beyond that have none, and a spawn takes a
// guarded free stack before an unguarded one. MOIRA_STACK_GUARD=mprotect|off overrides the choice.
#include <cstddef>
#include <cstdint>

namespace moira::detail {

struct Stack {
  void* base = nullptr;  // lowest usable address; the guard page, if any, lies just below it
  std::uint32_t size = 0;
  bool guarded = false;
  void* top() const { return static_cast<char*>(base) + size; }
};

// Throws std::invalid_argument for a size of 4 GiB or more, or a bad MOIRA_STACK_GUARD.
Stack allocate_stack(std::size_t size);
void release_stack(Stack stack);
std::size_t stack_guard_bytes();  // the guard below each guarded stack (one page)

enum class GuardMode : std::uint8_t { guard_regions, mprotect, off };
const char* to_string(GuardMode mode);

struct StackPoolStats {
  std::size_t mapped_bytes = 0;   // reserved address space
  std::size_t free_stacks = 0;    // in the shared free lists (not counting per-thread caches)
  std::size_t released_stacks = 0;  // stacks whose pages were given back to the kernel
  std::size_t guarded_stacks = 0;   // stacks carved with a guard page (ever)
  std::size_t unguarded_stacks = 0;  // stacks carved without one (ever)
  GuardMode mode = GuardMode::guard_regions;  // as decided at the first mapping
};
StackPoolStats stack_pool_stats();

}  // namespace moira::detail
