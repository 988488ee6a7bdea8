// plan_buffers: live values never overlap, peak is at most the no-reuse sum and close to the
// largest live set.
#include "engine/buffer_plan.h"

#include <gtest/gtest.h>

namespace upres::engine {
namespace {

Tensor zeros(const Shape& shape) { return *Tensor::zeros(shape); }

void expect_no_overlap(const Graph& g, const BufferPlan& plan) {
  const size_t n = g.value_info().size();
  for (size_t a = 0; a < n; ++a) {
    if (plan.offset_bytes[a] == BufferPlan::kNotPlanned) continue;
    EXPECT_LE(static_cast<size_t>(plan.offset_bytes[a]) + plan.size_bytes[a], plan.peak_bytes);
    EXPECT_EQ(plan.offset_bytes[a] % 64, 0);
    for (size_t b = a + 1; b < n; ++b) {
      if (plan.offset_bytes[b] == BufferPlan::kNotPlanned) continue;
      bool live_together = plan.first_use[a] <= plan.last_use[b] && plan.first_use[b] <= plan.last_use[a];
      bool overlap = plan.offset_bytes[a] < plan.offset_bytes[b] + static_cast<int64_t>(plan.size_bytes[b]) &&
                     plan.offset_bytes[b] < plan.offset_bytes[a] + static_cast<int64_t>(plan.size_bytes[a]);
      EXPECT_FALSE(live_together && overlap) << "values " << a << " and " << b;
    }
  }
}

TEST(BufferPlanTest, ChainReusesTwoBuffers) {
  Graph g;
  Value x = g.input("x", {1, 8, 16, 16});
  for (int i = 0; i < 10; ++i) x = g.relu(x);
  g.mark_output(x);
  auto plan = plan_buffers(g);
  ASSERT_TRUE(plan.is_ok());
  const size_t one = 8 * 16 * 16 * 4;
  EXPECT_EQ(plan->total_bytes, 10 * one);
  EXPECT_EQ(plan->largest_live_bytes, 2 * one);
  EXPECT_EQ(plan->peak_bytes, 2 * one);
  expect_no_overlap(g, *plan);
}

TEST(BufferPlanTest, DenseBlockStaysNearLargestLiveSet) {
  Graph g;
  Value x = g.input("x", {1, 16, 32, 32});
  for (int block = 0; block < 3; ++block) {
    std::vector<Value> features = {x};
    for (int i = 0; i < 4; ++i) {
      Value cat = features.size() == 1 ? x : g.concat(features, 1);
      const int64_t in = 16 + 8 * i;
      features.push_back(g.leaky_relu(g.conv2d(cat, zeros({8, in, 3, 3}), zeros({8}), {.padding = 1}), 0.2f));
    }
    Value out = g.conv2d(g.concat(features, 1), zeros({16, 48, 3, 3}), {}, {.padding = 1});
    x = g.add(g.scale(out, 0.2f), x);
  }
  g.mark_output(x);
  ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
  auto plan = plan_buffers(g);
  ASSERT_TRUE(plan.is_ok());
  expect_no_overlap(g, *plan);
  EXPECT_LE(plan->peak_bytes, plan->total_bytes);
  EXPECT_LT(plan->peak_bytes, plan->total_bytes / 3);
  EXPECT_GE(plan->peak_bytes, plan->largest_live_bytes);
  EXPECT_LE(plan->peak_bytes, plan->largest_live_bytes * 5 / 4) << "peak " << plan->peak_bytes << " live "
                                                               << plan->largest_live_bytes;
}

TEST(BufferPlanTest, RejectsBadAlignment) {
  Graph g;
  g.mark_output(g.relu(g.input("x", {4})));
  EXPECT_FALSE(plan_buffers(g, 0, 48).is_ok());
}

}  // namespace
}  // namespace upres::engine
