// The cpu backend's math ops of imported graphs (unary, binary sub/div/max/min, reduce) inside
// small networks whose activations are in the blocked layout (batch 1, a channel count that is not
// a multiple of the block): the patterns community ONNX exports decompose into (LayerNorm as
// ReduceMean-Sub-Pow-ReduceMean-Add-Sqrt-Div, channel attention with mean and max over H, W,
// x / x.norm()) against the reference backend, and that they stay off oneDNN's `ref` kernels and
// the reference fallback under every ISA cap the tests run with.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backend_runs.h"
#include "cpu_run.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

Value reduce(Graph& g, Value x, ReduceOp op, std::vector<int> axes, bool keepdims = true) {
  return g.reduce(x, ReduceAttrs{.op = op, .axes = std::move(axes), .keepdims = keepdims});
}

// conv -> channel attention (sigmoid(mean_hw + max_hw) * x) -> LayerNorm over channels written out
// as old ONNX opsets export it -> erf, exp of a clip, abs, reciprocal, max/min, x / ||x||.
Graph math_network(const Shape& input, int64_t channels) {
  std::mt19937 rng(99);
  Graph g;
  Value x = g.input("x", input);
  Value f = random_conv3x3(g, x, input[1], channels, rng);
  Value attention = g.sigmoid(g.add(reduce(g, f, ReduceOp::kMean, {2, 3}), reduce(g, f, ReduceOp::kMax, {-1, -2})));
  f = g.mul(f, attention);
  Value mean = reduce(g, f, ReduceOp::kMean, {1});
  Value centred = g.binary(f, mean, BinaryOp::kSub);
  Value variance = reduce(g, g.unary(centred, UnaryAttrs{.op = UnaryOp::kPow, .exponent = 2.0f}), ReduceOp::kMean, {1});
  Value std_dev = g.unary(g.scale(variance, 1.0f, 1e-5f), UnaryAttrs{.op = UnaryOp::kSqrt});
  Value normed = g.binary(centred, std_dev, BinaryOp::kDiv);
  Value e = g.unary(normed, UnaryAttrs{.op = UnaryOp::kErf});
  Value ex = g.unary(g.unary(normed, UnaryAttrs{.op = UnaryOp::kClip, .lo = -3.0f, .hi = 2.0f}),
                     UnaryAttrs{.op = UnaryOp::kExp});
  Value r = g.unary(g.scale(g.unary(normed, UnaryAttrs{.op = UnaryOp::kAbs}), 1.0f, 1.0f),
                    UnaryAttrs{.op = UnaryOp::kReciprocal});
  Value mixed = g.binary(g.binary(e, ex, BinaryOp::kMax), r, BinaryOp::kMin);
  mixed = g.add(mixed, g.unary(g.unary(ex, UnaryAttrs{.op = UnaryOp::kLog}), UnaryAttrs{.op = UnaryOp::kSquare}));
  Value norm = reduce(g, mixed, ReduceOp::kL2, {}, /*keepdims=*/false);
  g.mark_output(g.binary(mixed, norm, BinaryOp::kDiv));
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
  return g;
}

TEST(CpuMathOpsTest, ImportedGraphPatternsMatchReference) {
  for (int64_t channels : {20, 32}) {
    SCOPED_TRACE(channels);
    const Graph graph = math_network({1, 3, 13, 11}, channels);
    std::mt19937 rng(5);
    const Tensor input = random_tensor({1, 3, 13, 11}, rng, 1.0f);
    const Tensor expected = testing::run_on("reference", graph, {&input, 1});
    EXPECT_LE(testing::relative_error(testing::run_on("cpu", graph, {&input, 1}), expected), 1e-5);
  }
}

TEST(CpuMathOpsTest, ImportedGraphPatternsRunOnJitAndNativeKernels) {
  const Graph graph = math_network({1, 3, 16, 16}, 32);
  const std::vector<std::string> steps = testing::cpu_steps(graph);
  ASSERT_FALSE(steps.empty()) << "the cpu backend could not prepare the graph";
  int reductions_or_native = 0;
  for (const std::string& step : steps) {
    SCOPED_TRACE(step);
    EXPECT_EQ(step.find(" ref"), std::string::npos) << "oneDNN fell back to a reference kernel";
    EXPECT_EQ(step.find(": fallback"), std::string::npos) << "an op took the reference fallback";
    if (step.rfind("reduce", 0) == 0 || step.find(": native") != std::string::npos) ++reductions_or_native;
  }
  EXPECT_GE(reductions_or_native, 6);  // five reduces and the erf
}

}  // namespace
}  // namespace upres::engine
