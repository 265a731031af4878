#pragma once
// Memory for objects that are never freed (pooled Process objects): carved per thread from 2 MiB
// mappings, 64-byte aligned, with no allocator headers and no lock.
//
// Not transparent huge pages, though they were tried (MADV_HUGEPAGE): on these nested VMs a huge
// page the host has not backed yet costs ~5 ms to fault in (400 MB: 1.0 s, against 0.15 s in 4 KiB
// pages), and only reused ones are cheap (0.02 s). A million cold spawns then took 1.1 µs each
// instead of 0.34, and the ring of 100k processes ran no faster (5.2M hops/s either way).
#include <cstddef>

namespace moira::detail {

// `size` bytes aligned to 64 (a cache line), never to be freed. Throws std::bad_alloc.
void* arena_allocate(std::size_t size);

}  // namespace moira::detail
