// Graph passes: each fuses what it should, leaves alone what it must not, and changes nothing
// numerically (reference backend with passes on vs off).
#include "engine/graph_passes.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/backend_registry.h"
#include "engine/reference/reference_executable.h"
#include "op_case.h"

namespace upres::engine {
namespace {

Tensor random_tensor(const Shape& shape, uint32_t seed, float scale = 0.3f, float offset = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = normal(rng) * scale + offset;
  return *Tensor::from_f32(values, shape);
}

std::vector<Tensor> run_graph(const Graph& g, bool passes) {
  std::vector<Tensor> outputs(g.outputs().size());
  auto exe = reference::ReferenceExecutable::create(g, PrepareOptions{.run_graph_passes = passes});
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  if (!exe.is_ok()) return outputs;
  Tensor input = random_tensor(g.shape(g.inputs()[0]), 99, 1.0f);
  Status status = (*exe)->run({&input, 1}, outputs);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return outputs;
}

int count(const Graph& g, OpKind kind) {
  int n = 0;
  for (const Node& node : g.nodes()) n += node.kind == kind;
  return n;
}

// Optimizes a copy; checks it validates and computes what the original computes.
Graph optimized_and_checked(const Graph& g, double tolerance = 0.0) {
  Graph copy = g;
  Status status = optimize_graph(copy);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  std::vector<Tensor> fused = run_graph(copy, false);
  std::vector<Tensor> plain = run_graph(g, false);
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_LE(testing::relative_error(fused[i], plain[i]), tolerance) << "output " << i;
  }
  return copy;
}

Value conv3x3(Graph& g, Value x, int64_t in, int64_t out, uint32_t seed) {
  return g.conv2d(x, random_tensor({out, in, 3, 3}, seed), random_tensor({out}, seed + 1), {.padding = 1});
}

TEST(GraphPassesTest, FusesActivationsIntoConv) {
  Graph g;
  Value x = g.input("x", {1, 4, 9, 7});
  Value y = g.leaky_relu(conv3x3(g, x, 4, 8, 1), 0.2f);
  y = g.prelu(conv3x3(g, y, 8, 8, 3), random_tensor({8}, 5, 0.1f, 0.2f));
  y = g.gelu(conv3x3(g, y, 8, 4, 7), /*tanh_approximation=*/true);  // not a post-op: stays
  g.mark_output(y);
  Graph opt = optimized_and_checked(g);
  EXPECT_EQ(opt.nodes().size(), 4u);
  EXPECT_EQ(count(opt, OpKind::kLeakyRelu) + count(opt, OpKind::kPrelu), 0);
  EXPECT_EQ(count(opt, OpKind::kGelu), 1);
  const auto& post = std::get<Conv2dAttrs>(opt.nodes()[0].attrs).post;
  EXPECT_EQ(post.activation, Activation::kLeakyRelu);
  EXPECT_EQ(post.activation_alpha, 0.2f);
  EXPECT_EQ(std::get<Conv2dAttrs>(opt.nodes()[1].attrs).post.activation, Activation::kPrelu);
}

TEST(GraphPassesTest, FusesScaledResidualAddAsSumPostOp) {
  Graph g;
  Value x = g.input("x", {1, 6, 8, 8});
  Value body = g.leaky_relu(conv3x3(g, x, 6, 6, 11), 0.2f);
  Value out = g.add(g.scale(conv3x3(g, body, 6, 6, 13), 0.2f), x);  // RRDB: x + 0.2 * conv
  Value act = g.relu(g.add(x, conv3x3(g, out, 6, 6, 17)));       // ResNet: relu(x + conv)
  g.mark_output(act);
  Graph opt = optimized_and_checked(g);
  EXPECT_EQ(opt.nodes().size(), 3u) << "three convs, nothing else";
  const auto& second = std::get<Conv2dAttrs>(opt.nodes()[1].attrs).post;
  EXPECT_TRUE(second.has_residual);
  EXPECT_EQ(second.residual_scale, 0.2f);
  EXPECT_EQ(opt.nodes()[1].inputs[1], x);
  const auto& third = std::get<Conv2dAttrs>(opt.nodes()[2].attrs).post;
  EXPECT_TRUE(third.has_residual && third.activation_after_residual);
  EXPECT_EQ(third.activation, Activation::kRelu);
}

TEST(GraphPassesTest, LeavesSharedOrLateOperandsAlone) {
  Graph g;
  Value x = g.input("x", {1, 4, 6, 6});
  Value c = conv3x3(g, x, 4, 4, 21);
  Value r = g.relu(c);
  g.mark_output(r);
  g.mark_output(c);  // conv output is read twice: no fusion
  Value late = g.sigmoid(x);
  Value c2 = conv3x3(g, x, 4, 4, 23);
  Value late2 = g.tanh(late);  // produced after c2: cannot be c2's residual input
  g.mark_output(g.add(c2, late2));
  Graph opt = optimized_and_checked(g);
  EXPECT_EQ(count(opt, OpKind::kRelu), 1);
  EXPECT_EQ(count(opt, OpKind::kAdd), 1);
}

TEST(GraphPassesTest, FoldsBatchNormIntoConv) {
  Graph g;
  Value x = g.input("x", {2, 5, 7, 7});
  Value y = g.batch_norm(conv3x3(g, x, 5, 6, 31), random_tensor({6}, 32, 0.5f, 1.0f), random_tensor({6}, 33),
                         random_tensor({6}, 34), random_tensor({6}, 35, 0.2f, 1.0f));
  g.mark_output(g.relu(y));
  Graph opt = optimized_and_checked(g, 1e-5);
  ASSERT_EQ(opt.nodes().size(), 1u);
  EXPECT_EQ(std::get<Conv2dAttrs>(opt.nodes()[0].attrs).post.activation, Activation::kRelu);
}

TEST(GraphPassesTest, MarksDenseConcatsInPlace) {
  Graph g;
  Value x = g.input("x", {1, 8, 6, 6});
  Value x0 = conv3x3(g, x, 8, 8, 41);
  Value x1 = g.leaky_relu(conv3x3(g, x0, 8, 4, 43), 0.2f);
  Value x2 = g.leaky_relu(conv3x3(g, g.concat({x0, x1}), 12, 4, 45), 0.2f);
  Value mixed = g.concat({x, x2});  // a graph input is not a conv output
  g.mark_output(conv3x3(g, g.concat({x0, x1, x2}), 16, 8, 47));
  g.mark_output(mixed);
  Graph opt = optimized_and_checked(g);
  std::vector<bool> marks;
  for (const Node& node : opt.nodes()) {
    if (node.kind == OpKind::kConcat) marks.push_back(std::get<ConcatAttrs>(node.attrs).in_place);
  }
  EXPECT_EQ(marks, (std::vector<bool>{true, false, true}));
}

TEST(GraphPassesTest, FoldsNestedResidualIntoTheInnerConv) {
  Graph g;
  Value x = g.input("x", {1, 6, 8, 8});
  Value in = conv3x3(g, x, 6, 6, 51);
  Value rdb = g.add(g.scale(conv3x3(g, in, 6, 6, 53), 0.2f), in);    // inner: 0.2 * conv + in
  Value body = g.add(g.scale(conv3x3(g, rdb, 6, 6, 55), 0.2f), rdb);  // inner residual: rdb
  Value rrdb = g.add(g.scale(body, 0.2f), in);                         // outer: 0.2 * body + in
  g.mark_output(conv3x3(g, rrdb, 6, 6, 57));
  Graph opt = optimized_and_checked(g, 1e-6);  // only the summation order changes
  ASSERT_EQ(count(opt, OpKind::kConv2d), 4);
  EXPECT_EQ(count(opt, OpKind::kAdd), 1);
  EXPECT_EQ(count(opt, OpKind::kScale), 1);
  // The third conv now sums r' = 0.2 * rdb + in (computed just before it) at 0.2 * 0.2.
  const Node& third = opt.nodes()[opt.nodes().size() - 2];
  ASSERT_EQ(third.kind, OpKind::kConv2d);
  const PostOps& post = std::get<Conv2dAttrs>(third.attrs).post;
  EXPECT_TRUE(post.has_residual);
  EXPECT_FLOAT_EQ(post.residual_scale, 0.04f);
  const Node& residual = opt.nodes()[static_cast<size_t>(opt.info(third.inputs[1]).producer)];
  EXPECT_EQ(residual.kind, OpKind::kAdd);
  EXPECT_EQ(opt.nodes().back().inputs[0], third.output) << "the last conv reads the folded conv directly";
}

TEST(GraphPassesTest, LeavesNestedResidualsThatCannotFold) {
  Graph g;
  Value x = g.input("x", {1, 4, 6, 6});
  Value in = conv3x3(g, x, 4, 4, 61);
  Value shared = g.add(conv3x3(g, in, 4, 4, 63), in);
  g.mark_output(g.add(g.scale(shared, 0.5f), x));  // `shared` is also an output: read twice
  g.mark_output(shared);
  Value activated = g.relu(g.add(conv3x3(g, in, 4, 4, 65), in));  // relu(conv + in): not linear
  g.mark_output(g.add(activated, x));
  Graph opt = optimized_and_checked(g, 1e-6);
  EXPECT_EQ(count(opt, OpKind::kAdd), 2);
  EXPECT_EQ(count(opt, OpKind::kScale), 1);
}

}  // namespace
}  // namespace upres::engine
