// parallel_for: every index runs exactly once, whatever the thread count (more threads than
// indices, one, the hardware's), and nothing runs for an empty range.
#include "base/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace upres {
namespace {

TEST(ParallelForTest, RunsEveryIndexExactlyOnce) {
  for (const int threads : {0, 1, 3, 64}) {
    std::vector<std::atomic<int>> runs(50);
    parallel_for(50, threads, [&](int i) { runs[static_cast<size_t>(i)].fetch_add(1); });
    for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i << ", threads " << threads;
  }
  int calls = 0;
  parallel_for(0, 4, [&](int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace upres
