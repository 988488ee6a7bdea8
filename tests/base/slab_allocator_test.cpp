// SlabAllocator: small buffers come out of one shared slab, aligned and disjoint; large ones get
// their own; a buffer keeps its slab alive after the allocator moved on to the next.
#include "base/slab_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace upres {
namespace {

constexpr size_t kSlab = size_t{1} << 20;

uintptr_t address(const std::shared_ptr<std::byte[]>& buffer) { return reinterpret_cast<uintptr_t>(buffer.get()); }

TEST(SlabAllocatorTest, SmallBuffersShareASlabAlignedAndDisjoint) {
  SlabAllocator slabs(kSlab);
  std::vector<std::shared_ptr<std::byte[]>> buffers;
  for (size_t bytes : {1, 100, 4096, 70000, 3}) buffers.push_back(slabs.allocate(bytes));
  for (size_t i = 0; i < buffers.size(); ++i) {
    ASSERT_NE(buffers[i], nullptr);
    EXPECT_EQ(address(buffers[i]) % 64, 0u) << i;
    if (i > 0) {
      EXPECT_GE(address(buffers[i]), address(buffers[i - 1]) + 64) << "overlaps the previous buffer";
    }
    EXPECT_LT(address(buffers[i]) - address(buffers[0]), kSlab) << "left the first slab";
  }
  EXPECT_GE(address(buffers[4]) - address(buffers[3]), 70000u);
  for (auto& b : buffers) std::memset(b.get(), 0x5a, 3);  // writable
}

TEST(SlabAllocatorTest, LargeBuffersAndFullSlabsGetFreshMemoryWhileOldBuffersStayValid) {
  SlabAllocator slabs(kSlab);
  auto first = slabs.allocate(kSlab / 4);
  auto second = slabs.allocate(kSlab / 4);
  auto big = slabs.allocate(kSlab / 4 + 1);  // over a quarter: a buffer of its own
  ASSERT_TRUE(first && second && big);
  EXPECT_EQ(address(second) - address(first), kSlab / 4);
  const bool big_outside = address(big) + kSlab / 4 + 1 <= address(first) || address(big) >= address(first) + kSlab;
  EXPECT_TRUE(big_outside);
  std::memset(first.get(), 1, kSlab / 4);
  auto third = slabs.allocate(kSlab / 4);
  auto fourth = slabs.allocate(kSlab / 4);
  auto fifth = slabs.allocate(kSlab / 4);  // the first slab is full: a new one
  ASSERT_TRUE(third && fourth && fifth);
  EXPECT_EQ(address(fourth) - address(first), 3 * kSlab / 4);
  EXPECT_TRUE(address(fifth) < address(first) || address(fifth) >= address(first) + kSlab);
  second.reset();
  third.reset();
  fourth.reset();
  EXPECT_EQ(static_cast<int>(first[kSlab / 4 - 1]), 1) << "the slab went with the allocator's move";
}

}  // namespace
}  // namespace upres
