#include "base/buffer_memory.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace upres {
namespace {

bool aligned(const void* pointer, size_t alignment) {
  return reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0;
}

// The kernel's THP mode ("always", "madvise" or "never"), "" when unknown.
std::string thp_mode() {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(file, line);
  const size_t open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos ? "" : line.substr(open + 1, close - open - 1);
}

// AnonHugePages (kB) of the mapping in /proc/self/smaps that contains `pointer`; -1 if not found.
long huge_kb_of_mapping(const void* pointer) {
  const auto address = reinterpret_cast<std::uintptr_t>(pointer);
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= address && address < end;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) return std::stol(line.substr(14));
  }
  return -1;
}

// /proc/vmstat's count of huge-page faults that fell back to small pages (the kernel tried).
long thp_fallbacks() {
  std::ifstream vmstat("/proc/vmstat");
  for (std::string key, value; vmstat >> key >> value;)
    if (key == "thp_fault_fallback") return std::stol(value);
  return 0;
}

TEST(BufferMemory, SmallBuffersHaveTheAskedAlignment) {
  for (size_t alignment : {size_t{16}, size_t{64}, size_t{4096}}) {
    void* buffer = allocate_buffer(1000, alignment);
    ASSERT_NE(buffer, nullptr);
    EXPECT_TRUE(aligned(buffer, alignment)) << alignment;
    std::memset(buffer, 1, 1000);
    free_buffer(buffer);
  }
  void* empty = allocate_buffer(0, 64);
  EXPECT_NE(empty, nullptr);
  free_buffer(empty);
}

TEST(BufferMemory, LargeBuffersStartOnAHugePageBoundary) {
  void* buffer = allocate_buffer(kHugePageBytes * 3 + 5, 64);
  ASSERT_NE(buffer, nullptr);
  EXPECT_TRUE(aligned(buffer, kHugePageBytes));
  free_buffer(buffer);
}

TEST(BufferMemory, ImpossibleSizesAnswerNull) {
  EXPECT_EQ(allocate_buffer(static_cast<size_t>(-1) - 10, 64), nullptr);
}

TEST(BufferMemory, LargeBuffersAreHugePagesWhereTheKernelGivesThemOnRequest) {
  const std::string mode = thp_mode();
  if (mode != "madvise" && mode != "always") GTEST_SKIP() << "transparent huge pages are off here ('" << mode << "')";
  const size_t bytes = 8 * kHugePageBytes;
  const long fallbacks_before = thp_fallbacks();
  void* buffer = allocate_buffer(bytes, 64);
  ASSERT_NE(buffer, nullptr);
  std::memset(buffer, 0, bytes);  // first touch: the faults that get huge pages
  const long huge_kb = huge_kb_of_mapping(buffer);
  free_buffer(buffer);
  // On a fragmented machine the kernel may find no free huge page and fall back: it still tried,
  // which it does not do for unadvised memory under "madvise".
  EXPECT_TRUE(huge_kb > 0 || thp_fallbacks() > fallbacks_before) << "no huge pages under a madvised 16 MiB buffer";
}

TEST(BufferMemory, VectorsUseTheAllocator) {
  std::vector<float, BufferAllocator<float>> values(kHugePageBytes, 0.5f);  // 8 MiB
  EXPECT_TRUE(aligned(values.data(), kHugePageBytes));
  EXPECT_EQ(values.back(), 0.5f);
  std::vector<float, BufferAllocator<float>> small(3, 1.0f);
  EXPECT_TRUE(aligned(small.data(), 64));
  EXPECT_EQ(small, (std::vector<float, BufferAllocator<float>>{1.0f, 1.0f, 1.0f}));
}

}  // namespace
}  // namespace upres
