#include "base/buffer_memory.h"

#include <sys/mman.h>

#include <cstdlib>

namespace upres {
namespace {

size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

void* allocate_buffer(size_t bytes, size_t alignment) {
  if (bytes == 0) bytes = 1;
  if (bytes > static_cast<size_t>(-1) - kHugePageBytes) return nullptr;
  if (bytes < kHugePageBytes) return std::aligned_alloc(alignment, round_up(bytes, alignment));
  const size_t rounded = round_up(bytes, kHugePageBytes);
  void* memory = std::aligned_alloc(kHugePageBytes, rounded);
  // Advice only: without THP the pages are ordinary ones, and the buffer works the same.
  if (memory != nullptr) madvise(memory, rounded, MADV_HUGEPAGE);
  return memory;
}

void free_buffer(void* buffer) { std::free(buffer); }

}  // namespace upres
