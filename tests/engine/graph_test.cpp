// Graph: builder shape inference, sticky errors that name the op and shapes, rewriting helpers.
#include "engine/graph.h"

#include <gtest/gtest.h>

namespace upres::engine {
namespace {

Tensor zeros(const Shape& shape) { return *Tensor::zeros(shape); }

TEST(GraphTest, InfersShapesLikePytorch) {
  Graph g;
  Value x = g.input("x", {1, 3, 32, 48});
  Value y = g.conv2d(x, zeros({16, 3, 3, 3}), zeros({16}), {.stride = 2, .padding = 1});
  EXPECT_EQ(g.shape(y), (Shape{1, 16, 16, 24}));
  y = g.leaky_relu(y, 0.2f);
  Value up = g.resize(y, {.mode = ResizeMode::kNearest, .scale_h = 2, .scale_w = 2});
  EXPECT_EQ(g.shape(up), (Shape{1, 16, 32, 48}));
  Value shuffled = g.pixel_shuffle(up, 4);
  EXPECT_EQ(g.shape(shuffled), (Shape{1, 1, 128, 192}));
  Value t = g.conv_transpose2d(y, zeros({16, 8, 4, 4}), {}, {.stride = 2, .padding = 1});
  EXPECT_EQ(g.shape(t), (Shape{1, 8, 32, 48}));
  Value cat = g.concat({x, t}, 1);
  EXPECT_EQ(g.shape(cat), (Shape{1, 11, 32, 48}));
  Value pooled = g.max_pool2d(cat, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_EQ(g.shape(pooled), (Shape{1, 11, 17, 25}));  // ceil mode keeps the last partial window
  Value flat = g.reshape(g.permute(pooled, {0, 2, 3, 1}), {-1, 11});
  EXPECT_EQ(g.shape(flat), (Shape{425, 11}));
  Value lin = g.linear(flat, zeros({5, 11}));
  EXPECT_EQ(g.shape(lin), (Shape{425, 5}));
  g.mark_output(lin);
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
  EXPECT_TRUE(g.validate().is_ok());
}

TEST(GraphTest, FirstErrorIsKeptAndNamesTheOp) {
  Graph g;
  Value x = g.input("x", {1, 3, 8, 8});
  Value bad = g.named(g.conv2d(x, zeros({8, 4, 3, 3})), "conv_first");
  EXPECT_FALSE(bad.is_valid());
  Value after = g.relu(bad);  // no-op on an invalid value
  EXPECT_FALSE(after.is_valid());
  g.mark_output(after);
  ASSERT_FALSE(g.status().is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("conv2d"), std::string::npos) << g.status().message();
  EXPECT_NE(g.status().message().find("[8, 4, 3, 3]"), std::string::npos) << g.status().message();
}

TEST(GraphTest, RejectsBadArguments) {
  auto error_of = [](auto build) {
    Graph g;
    Value x = g.input("x", {2, 6, 10, 10});
    build(g, x);
    return g.status();
  };
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.conv2d(x, zeros({6, 6, 3, 3}), zeros({5})); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.conv2d(x, zeros({6, 3, 3, 3}), {}, {.groups = 4}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.conv2d(x, zeros({6, 6, 3, 3}), {}, {.stride = 0}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.pixel_shuffle(x, 4); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.pad(x, {.left = 10, .mode = PadMode::kReflect}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.add(x, g.slice(x, 2, 0, 3)); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.slice(x, 1, 4, 4); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.reshape(x, {7, -1}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.permute(x, {0, 1, 1, 2}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.resize(x, {}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.group_norm(x, {}, {}, {.groups = 4}); }).is_ok());
  EXPECT_FALSE(error_of([](Graph& g, Value x) { g.matmul(x, g.slice(x, 2, 0, 3)); }).is_ok());
  EXPECT_TRUE(error_of([](Graph& g, Value x) { g.group_norm(x, {}, {}, {.groups = 3}); }).is_ok());
  Graph g;
  g.input("x", {1, 0, 4, 4});
  EXPECT_FALSE(g.status().is_ok());
}

TEST(GraphTest, WithInputShapesReinfersEveryShape) {
  Graph g;
  Value x = g.input("x", {1, 3, 16, 16});
  Value y = g.pixel_shuffle(g.conv2d(x, zeros({12, 3, 3, 3}), {}, {.padding = 1}), 2);
  g.mark_output(y);
  auto bigger = g.with_input_shapes({{1, 3, 40, 24}});
  ASSERT_TRUE(bigger.is_ok());
  EXPECT_EQ(bigger->shape(bigger->outputs()[0]), (Shape{1, 3, 80, 48}));
  EXPECT_EQ(g.shape(y), (Shape{1, 3, 32, 32}));
  EXPECT_FALSE(g.with_input_shapes({{1, 4, 16, 16}}).is_ok());
  EXPECT_FALSE(g.with_input_shapes({}).is_ok());
}

TEST(GraphTest, ReplaceUsesAndRemoveDeadNodes) {
  Graph g;
  Value x = g.input("x", {1, 2, 4, 4});
  Value a = g.relu(x);
  Value b = g.sigmoid(a);
  Value c = g.tanh(x);
  g.mark_output(b);
  EXPECT_EQ(g.nodes().size(), 3u);
  g.replace_uses(b, c);  // output now reads c; relu and sigmoid are dead
  g.remove_dead_nodes();
  ASSERT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(g.nodes()[0].kind, OpKind::kTanh);
  EXPECT_EQ(g.outputs()[0], c);
  EXPECT_TRUE(g.validate().is_ok());
}

}  // namespace
}  // namespace upres::engine
