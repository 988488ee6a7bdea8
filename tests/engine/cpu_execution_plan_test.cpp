// ExecutionPlan::bind(): temporaries (reordered inputs, convolution scratchpads) live during their
// own node only, so they take bytes of values that are not alive then, never of those that are.
#include <gtest/gtest.h>

#include <cstdint>

#include "engine/cpu/execution_plan.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

struct Range {
  uintptr_t begin = 0, end = 0;
  bool overlaps(const Range& other) const { return begin < other.end && other.begin < end; }
};

Range bytes_of(const memory& m) {
  const auto begin = reinterpret_cast<uintptr_t>(m.get_data_handle());
  return {begin, begin + m.get_desc().get_size()};
}

TEST(CpuExecutionPlanTest, ATemporaryTakesTheBytesOfValuesNotAliveDuringItsNode) {
  // x (small) -> a = relu(x) [node 0, with a 4 MiB temporary] -> b = relu(a) [node 1, a 4 MiB output].
  Graph g;
  const Value x = g.input("x", {1, 16, 8, 8});
  const Value a = g.relu(x);
  const Value b = g.relu(a);
  g.mark_output(b);
  ASSERT_TRUE(g.status().is_ok());
  const auto f32 = memory::data_type::f32;
  ExecutionPlan plan(g, dnnl::engine(dnnl::engine::kind::cpu, 0), f32, /*winograd=*/true);
  plan.set_desc(x, plain_desc({1, 16, 8, 8}, f32));
  plan.begin_node("node 0");
  plan.set_desc(a, plain_desc({1, 16, 8, 8}, f32));
  const memory temp = plan.temp(plain_desc({1, 1024, 32, 32}, f32));  // 4 MiB
  plan.begin_node("node 1");
  plan.set_desc(b, plain_desc({1, 1024, 32, 32}, f32));  // 4 MiB, alive from node 1 on
  ASSERT_TRUE(plan.bind().is_ok());

  const size_t four_mib = size_t{4} << 20;
  EXPECT_LT(plan.arena_bytes(), four_mib + 64 * 1024) << "the temporary did not share b's bytes";
  const Range t = bytes_of(temp);
  EXPECT_FALSE(t.overlaps(bytes_of(plan.memory_of(x)))) << "the temporary overlaps x, read in its node";
  EXPECT_FALSE(t.overlaps(bytes_of(plan.memory_of(a)))) << "the temporary overlaps a, written in its node";
}

TEST(CpuExecutionPlanTest, TemporariesOfOneNodeDoNotOverlap) {
  Graph g;
  const Value x = g.input("x", {1, 16, 8, 8});
  const Value a = g.relu(x);
  g.mark_output(a);
  ASSERT_TRUE(g.status().is_ok());
  const auto f32 = memory::data_type::f32;
  ExecutionPlan plan(g, dnnl::engine(dnnl::engine::kind::cpu, 0), f32, /*winograd=*/true);
  plan.set_desc(x, plain_desc({1, 16, 8, 8}, f32));
  plan.begin_node("node 0");
  plan.set_desc(a, plain_desc({1, 16, 8, 8}, f32));
  const memory first = plan.temp(plain_desc({1, 64, 32, 32}, f32));
  const memory second = plan.temp(plain_desc({1, 64, 32, 32}, f32));
  ASSERT_TRUE(plan.bind().is_ok());
  EXPECT_FALSE(bytes_of(first).overlaps(bytes_of(second)));
  EXPECT_FALSE(bytes_of(first).overlaps(bytes_of(plan.memory_of(a))));
  EXPECT_FALSE(bytes_of(second).overlaps(bytes_of(plan.memory_of(x))));
}

}  // namespace
}  // namespace upres::engine::cpu
