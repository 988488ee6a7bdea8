// Shape rules and argument checks of the math ops (unary, binary sub/div/max/min, reduce) and
// hand-computed values on every backend: what the PyTorch fixtures of engine_ops.py do not show
// (bad axes, keepdims shapes, NaN through max).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/backend_registry.h"
#include "engine/graph.h"

namespace upres::engine {
namespace {

TEST(MathOpsTest, ReduceShapesFollowAxesAndKeepdims) {
  Graph g;
  Value x = g.input("x", {2, 5, 7, 3});
  EXPECT_EQ(g.shape(g.reduce(x, {.op = ReduceOp::kMean, .axes = {2, 3}, .keepdims = true})), (Shape{2, 5, 1, 1}));
  EXPECT_EQ(g.shape(g.reduce(x, {.op = ReduceOp::kSum, .axes = {-1, 1}, .keepdims = false})), (Shape{2, 7}));
  EXPECT_EQ(g.shape(g.reduce(x, {.op = ReduceOp::kL2, .axes = {}, .keepdims = false})), (Shape{1}));
  EXPECT_EQ(g.shape(g.reduce(x, {.op = ReduceOp::kMax, .axes = {}, .keepdims = true})), (Shape{1, 1, 1, 1}));
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
}

TEST(MathOpsTest, BadAxesAndShapesAreClearErrors) {
  {
    Graph g;
    Value x = g.input("x", {1, 4, 5, 5});
    EXPECT_FALSE(g.reduce(x, {.op = ReduceOp::kMean, .axes = {4}}).is_valid());
    EXPECT_NE(g.status().message().find("reduce axis 4 out of range for rank 4"), std::string::npos)
        << g.status().to_string();
  }
  {
    Graph g;
    Value x = g.input("x", {1, 4, 5, 5});
    EXPECT_FALSE(g.reduce(x, {.op = ReduceOp::kSum, .axes = {1, -3}}).is_valid());
    EXPECT_NE(g.status().message().find("given twice"), std::string::npos) << g.status().to_string();
  }
  {
    Graph g;
    Value a = g.input("a", {1, 4, 5, 5});
    Value b = g.input("b", {1, 3, 1, 1});
    EXPECT_FALSE(g.binary(a, b, BinaryOp::kDiv).is_valid());
    EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value x = g.input("x", {1, 4});
    EXPECT_FALSE(g.unary(x, {.op = UnaryOp::kClip, .lo = 1.0f, .hi = -1.0f}).is_valid());
    EXPECT_NE(g.status().message().find("clip bounds"), std::string::npos) << g.status().to_string();
  }
}

// [[1, -2, 3], [-4, 5, NaN]] through reduces and binaries, by hand.
TEST(MathOpsTest, HandComputedValuesOnEveryBackend) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto input = Tensor::from_f32(std::vector<float>{1, -2, 3, -4, 5, nan}, {2, 3});
  ASSERT_TRUE(input.is_ok());
  auto clean = Tensor::from_f32(std::vector<float>{1, -2, 3, -4, 5, 6}, {2, 3});
  ASSERT_TRUE(clean.is_ok());
  struct Case {
    ReduceAttrs attrs;
    bool with_nan;
    std::vector<float> expected;
  };
  const std::vector<Case> cases = {
      {{.op = ReduceOp::kSum, .axes = {1}, .keepdims = false}, false, {2, 7}},
      {{.op = ReduceOp::kMean, .axes = {0}, .keepdims = true}, false, {-1.5f, 1.5f, 4.5f}},
      {{.op = ReduceOp::kMax, .axes = {1}, .keepdims = true}, true, {3, nan}},
      {{.op = ReduceOp::kMin, .axes = {0}, .keepdims = false}, false, {-4, -2, 3}},
      {{.op = ReduceOp::kL2, .axes = {}, .keepdims = false}, false, {std::sqrt(91.0f)}},
      {{.op = ReduceOp::kSumSquare, .axes = {-1}, .keepdims = true}, false, {14, 77}},
  };
  for (const std::string& name : backend_names()) {
    auto backend = create_backend(name);
    ASSERT_TRUE(backend.is_ok());
    for (size_t c = 0; c < cases.size(); ++c) {
      SCOPED_TRACE(name + " case " + std::to_string(c));
      Graph g;
      g.mark_output(g.reduce(g.input("x", {2, 3}), cases[c].attrs));
      auto exe = (*backend)->prepare(g, {});
      ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
      std::vector<Tensor> out(1);
      const Tensor& in = cases[c].with_nan ? *input : *clean;
      ASSERT_TRUE((*exe)->run({&in, 1}, out).is_ok());
      const std::vector<float> got = out[0].to_f32();
      ASSERT_EQ(got.size(), cases[c].expected.size());
      for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(cases[c].expected[i])) {
          EXPECT_TRUE(std::isnan(got[i])) << i;
        } else {
          EXPECT_NEAR(got[i], cases[c].expected[i], 1e-5f * std::max(1.0f, std::fabs(cases[c].expected[i]))) << i;
        }
      }
    }
    // (a - b) / b, max, min with b broadcast along rows: [1, 3] against [2, 3].
    Graph g;
    Value a = g.input("a", {2, 3});
    auto b = Tensor::from_f32(std::vector<float>{2, -4, 0.5f}, {1, 3});
    ASSERT_TRUE(b.is_ok());
    Value bv = g.constant(*b);
    Value d = g.binary(g.binary(a, bv, BinaryOp::kSub), bv, BinaryOp::kDiv);
    g.mark_output(g.binary(g.binary(d, bv, BinaryOp::kMax), a, BinaryOp::kMin));
    auto exe = (*backend)->prepare(g, {});
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    std::vector<Tensor> out(1);
    ASSERT_TRUE((*exe)->run({&*clean, 1}, out).is_ok());
    // d = [[-0.5, -0.5, 5], [-3, -2.25, 11]]; max(d, b) = [[2, -0.5, 5], [2, -2.25, 11]]; min(., a).
    const std::vector<float> want = {1, -2, 3, -4, -2.25f, 6};
    const std::vector<float> got = out[0].to_f32();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << name << " " << i;
  }
}

}  // namespace
}  // namespace upres::engine
