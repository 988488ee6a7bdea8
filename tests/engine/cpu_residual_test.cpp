// The cpu backend's residual sums against the reference backend: RRDB blocks (the outer residual
// folded into rdb3's conv5, so the next block's concat stays in place), a residual computed
// straight into the conv's output bytes (read by nothing else), and one added by a binary post-op
// because a later op reads it again (it must survive the conv unchanged). None may copy.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "engine/backend_registry.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

std::unique_ptr<Executable> prepare_cpu(const Graph& graph, PrepareOptions options = {}) {
  cpu::CpuBackend backend;
  auto exe = backend.prepare(graph, options);
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  return exe.is_ok() ? std::move(*exe) : nullptr;
}

Tensor run(Executable& exe, const Tensor& input) {
  std::vector<Tensor> outputs(exe.output_shapes().size());
  Status status = exe.run({&input, 1}, outputs);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return outputs[0];
}

Tensor reference_output(const Graph& graph, const Tensor& input) {
  auto backend = create_backend("reference");
  EXPECT_TRUE(backend.is_ok());
  auto exe = (*backend)->prepare(graph, PrepareOptions{.run_graph_passes = false});
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  return run(**exe, input);
}

// Steps whose description contains `what` (e.g. ": reorder ", ": concat ").
int count_steps(const Executable& exe, const std::string& what) {
  int n = 0;
  for (const std::string& step : dynamic_cast<const cpu::CpuExecutable&>(exe).step_descriptions()) {
    n += step.find(what) != std::string::npos;
  }
  return n;
}

TEST(CpuResidualTest, RrdbBlocksMatchReferenceWithoutCopies) {
  const Shape shape{1, 3, 12, 16};
  const Graph graph = rrdb_trunk(shape, 64, 32);
  // The direct kernels' form; on Winograd the residuals others read are copied (cpu_winograd_test).
  auto exe = prepare_cpu(graph, PrepareOptions{.winograd = false});
  ASSERT_NE(exe, nullptr);
  EXPECT_EQ(count_steps(*exe, ": concat "), 0) << "the block after an RRDB copied its input into the concat";
  EXPECT_EQ(count_steps(*exe, ": reorder "), 0) << "a residual was copied into a conv's output";
  EXPECT_EQ(count_steps(*exe, " ref"), 0) << "oneDNN fell back to a reference kernel";
  EXPECT_EQ(count_steps(*exe, ": convolution "), 1 + 2 * 15 + 1);
  std::mt19937 rng(3);
  for (int repeat = 0; repeat < 2; ++repeat) {  // in-place sums must not leak into the next run
    const Tensor input = random_tensor(shape, rng, 1.0f);
    EXPECT_LE(testing::relative_error(run(*exe, input), reference_output(graph, input)), 1e-5) << "run " << repeat;
  }
}

TEST(CpuResidualTest, RrdbBlocksInBf16StayWithinTolerance) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  const Shape shape{1, 3, 12, 16};
  const Graph graph = rrdb_trunk(shape, 32, 16);
  auto exe = prepare_cpu(graph, PrepareOptions{.compute_dtype = DType::kBF16});
  ASSERT_NE(exe, nullptr);
  std::mt19937 rng(4);
  const Tensor input = random_tensor(shape, rng, 1.0f);
  EXPECT_LE(testing::relative_error(run(*exe, input), reference_output(graph, input)), 3e-2);
}

// y = conv_b(u) + r, where r = sigmoid(conv_r(x)) is read by conv_b alone (computed in y's
// bytes) or, with `read_again`, also by a later add (added in place by a binary post-op).
Graph residual_graph(bool read_again) {
  std::mt19937 rng(read_again ? 8 : 9);
  Graph g;
  Value x = g.input("x", {1, 3, 9, 11});  // 3 channels: convs read the plain input, no reorder
  Value r = g.sigmoid(random_conv3x3(g, x, 3, 32, rng));
  Value u = g.leaky_relu(random_conv3x3(g, x, 3, 16, rng), 0.2f);
  Value y = g.add(random_conv3x3(g, u, 16, 32, rng), r);
  if (read_again) y = g.mul(y, g.scale(r, 2.0f, 1.0f));  // reads r after conv_b summed it
  g.mark_output(random_conv3x3(g, y, 32, 16, rng));
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
  return g;
}

TEST(CpuResidualTest, ResidualSummedInPlaceOrReadAgainMatchesReference) {
  for (bool read_again : {false, true}) {
    SCOPED_TRACE(read_again ? "residual read again later" : "residual read by the conv alone");
    const Graph graph = residual_graph(read_again);
    auto exe = prepare_cpu(graph);
    ASSERT_NE(exe, nullptr);
    const auto* cpu_exe = dynamic_cast<const cpu::CpuExecutable*>(exe.get());
    int residual_convs = 0;
    for (const Node& node : cpu_exe->graph().nodes()) {
      residual_convs += node.kind == OpKind::kConv2d && std::get<Conv2dAttrs>(node.attrs).post.has_residual;
    }
    EXPECT_EQ(residual_convs, 1) << "the add should have become conv_b's residual";
    EXPECT_EQ(count_steps(*exe, ": reorder "), 0) << "the residual was copied into conv_b's output";
    std::mt19937 rng(5);
    for (int repeat = 0; repeat < 2; ++repeat) {
      const Tensor input = random_tensor({1, 3, 9, 11}, rng, 1.0f);
      EXPECT_LE(testing::relative_error(run(*exe, input), reference_output(graph, input)), 1e-5) << "run " << repeat;
    }
  }
}

}  // namespace
}  // namespace upres::engine
