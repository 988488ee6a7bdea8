// ExecutionPlan::bind(): temporaries (reordered inputs, convolution scratchpads) live during their
// own node only, so they take bytes of values that are not alive then, never of those that are.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

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

const auto kF32 = memory::data_type::f32;
const Shape kSmall{1, 16, 8, 8};

// x -> relu -> ... (`length` relus), each [1, 16, 8, 8] in the graph; a test may give the plan
// other layouts (the plan places what it is told).
struct ReluChain {
  Graph graph;
  std::vector<Value> values;  // x, then each relu's output
  explicit ReluChain(int length) {
    values.push_back(graph.input("x", kSmall));
    for (int i = 0; i < length; ++i) values.push_back(graph.relu(values.back()));
    graph.mark_output(values.back());
  }
};

TEST(CpuExecutionPlanTest, ATemporaryTakesTheBytesOfValuesNotAliveDuringItsNode) {
  // x -> a = relu(x) [node 0, with a 4 MiB temporary] -> b = relu(a) [node 1, a 4 MiB output].
  ReluChain chain(2);
  ASSERT_TRUE(chain.graph.status().is_ok());
  const Value x = chain.values[0], a = chain.values[1], b = chain.values[2];
  ExecutionPlan plan(chain.graph, dnnl::engine(dnnl::engine::kind::cpu, 0), kF32, /*winograd=*/true,
                     ActivationLayout::blocked(16));
  plan.set_desc(x, plain_desc(kSmall, kF32));
  plan.begin_node("node 0");
  plan.set_desc(a, plain_desc(kSmall, kF32));
  const memory temp = plan.temp(plain_desc({1, 1024, 32, 32}, kF32));  // 4 MiB
  plan.begin_node("node 1");
  plan.set_desc(b, plain_desc({1, 1024, 32, 32}, kF32));  // 4 MiB, alive from node 1 on
  ASSERT_TRUE(plan.bind().is_ok());

  const size_t four_mib = size_t{4} << 20;
  EXPECT_LT(plan.arena_bytes(), four_mib + 64 * 1024) << "the temporary did not share b's bytes";
  const Range t = bytes_of(temp);
  EXPECT_FALSE(t.overlaps(bytes_of(plan.memory_of(x)))) << "the temporary overlaps x, read in its node";
  EXPECT_FALSE(t.overlaps(bytes_of(plan.memory_of(a)))) << "the temporary overlaps a, written in its node";
}

TEST(CpuExecutionPlanTest, TemporariesOfOneNodeDoNotOverlap) {
  ReluChain chain(1);
  ASSERT_TRUE(chain.graph.status().is_ok());
  const Value x = chain.values[0], a = chain.values[1];
  ExecutionPlan plan(chain.graph, dnnl::engine(dnnl::engine::kind::cpu, 0), kF32, /*winograd=*/true,
                     ActivationLayout::blocked(16));
  plan.set_desc(x, plain_desc(kSmall, kF32));
  plan.begin_node("node 0");
  plan.set_desc(a, plain_desc(kSmall, kF32));
  const memory first = plan.temp(plain_desc({1, 64, 32, 32}, kF32));
  const memory second = plan.temp(plain_desc({1, 64, 32, 32}, kF32));
  ASSERT_TRUE(plan.bind().is_ok());
  EXPECT_FALSE(bytes_of(first).overlaps(bytes_of(second)));
  EXPECT_FALSE(bytes_of(first).overlaps(bytes_of(plan.memory_of(a))));
  EXPECT_FALSE(bytes_of(second).overlaps(bytes_of(plan.memory_of(x))));
}

}  // namespace
}  // namespace upres::engine::cpu
