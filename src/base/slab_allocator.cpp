#include "base/slab_allocator.h"

#include "base/buffer_memory.h"

namespace upres {
namespace {

constexpr size_t kAlignment = 64;

std::shared_ptr<std::byte[]> own_buffer(size_t bytes) {
  void* memory = allocate_buffer(bytes, kAlignment);
  if (memory == nullptr) return nullptr;
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(memory), [](std::byte* p) { free_buffer(p); });
}

}  // namespace

SlabAllocator::SlabAllocator(size_t slab_bytes) : slab_bytes_(slab_bytes) {}

std::shared_ptr<std::byte[]> SlabAllocator::allocate(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes > slab_bytes_ / 4) return own_buffer(bytes);
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<std::byte[]> slab = slab_.lock();
  if (slab == nullptr || used_ + rounded > slab_bytes_) {
    slab = own_buffer(slab_bytes_);
    if (slab == nullptr) return nullptr;
    slab_ = slab;
    used_ = 0;
  }
  std::byte* start = slab.get() + used_;
  used_ += rounded;
  return std::shared_ptr<std::byte[]>(slab, start);  // shares the slab's ownership
}

}  // namespace upres
