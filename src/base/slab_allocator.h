// SlabAllocator: many long-lived buffers of a few hundred KiB carved out of shared huge-page slabs
// (allocate_buffer, buffer_memory.h), so that they fault in 2 MiB pages, not 4 KiB ones. Winograd's
// transformed weights are such buffers: R-ESRGAN 4x+ has 351 convolutions of 0.3-1.8 MB each,
// 268 MB in all, which as separate allocations took ~65,000 page faults (~0.6 s of CPU on a 2-core
// VM) at every start. A slab is freed when the last buffer carved out of it is. Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>

namespace upres {

class SlabAllocator {
 public:
  // Slabs of `slab_bytes`; a request over a quarter of it gets a buffer of its own.
  explicit SlabAllocator(size_t slab_bytes);

  // Uninitialised memory of `bytes` (at least 1), 64-byte aligned, or nullptr when out of memory;
  // the pointer keeps its slab alive.
  std::shared_ptr<std::byte[]> allocate(size_t bytes);

 private:
  const size_t slab_bytes_;
  std::mutex mutex_;
  std::weak_ptr<std::byte[]> slab_;  // the slab being filled; not kept alive by the allocator
  size_t used_ = 0;
};

}  // namespace upres
