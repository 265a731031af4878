#pragma once
// Memory for objects that are never freed (pooled Process objects): carved per thread from 2 MiB
// regions advised for transparent huge pages. Spawning a million processes then costs a page
// fault per 2 MiB instead of one per 4 KiB, and running them a TLB entry per ~5,000 processes
// instead of one per ten, which on a nested VM (where a TLB miss is a two-dimensional page walk)
// was what a ring of 100k processes mostly waited on.
#include <cstddef>

namespace moira::detail {

// `size` bytes aligned to 64 (a cache line), never to be freed. Throws std::bad_alloc.
void* huge_arena_allocate(std::size_t size);

}  // namespace moira::detail
