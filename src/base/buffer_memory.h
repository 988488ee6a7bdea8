// Memory for pixel and tensor buffers. Buffers of 2 MiB and more are 2 MiB-aligned and advised as
// transparent huge pages: where the kernel gives huge pages only on request (THP "madvise", the
// default of Debian and Ubuntu), a fresh 4 KiB-page buffer takes one page fault per 4 KiB on first
// touch. Zeroing a fresh 12 MiB buffer took 40 ms that way on a 2-core VM, 1.3 ms as huge pages,
// and every upscale pass writes a fresh output image. Thread-safe (malloc underneath).
#pragma once

#include <cstddef>
#include <new>

namespace upres {

// From this size up, buffers are allocated as huge pages.
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Uninitialised memory of `bytes` (at least 1) aligned to `alignment` (a power of two, at most
// kHugePageBytes), or nullptr when out of memory. Free with free_buffer.
void* allocate_buffer(size_t bytes, size_t alignment);
void free_buffer(void* buffer);

// std::allocator replacement that takes its memory from allocate_buffer (64-byte aligned).
template <class T>
struct BufferAllocator {
  using value_type = T;
  BufferAllocator() = default;
  template <class U>
  BufferAllocator(const BufferAllocator<U>&) {}  // NOLINT: rebinding is implicit, as in std::allocator
  T* allocate(size_t count) {
    if (count > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    void* memory = allocate_buffer(count * sizeof(T), alignof(T) > 64 ? alignof(T) : 64);
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<T*>(memory);
  }
  void deallocate(T* pointer, size_t) { free_buffer(pointer); }
  template <class U>
  bool operator==(const BufferAllocator<U>&) const { return true; }
};

}  // namespace upres
