// Two small networks built with the graph API, named after their state-dict keys, against PyTorch
// (tests/reference/engine_networks.py): an RRDBNet (ESRGAN, basicsr rrdbnet_arch.py) and an
// SRVGGNetCompact (Real-ESRGAN srvgg_arch.py). Run on every backend, with and without passes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/backend_registry.h"
#include "engine/buffer_plan.h"
#include "engine/graph_passes.h"
#include "op_case.h"

namespace upres::engine {
namespace {

using Weights = std::map<std::string, Tensor>;

class NetworksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = testing::generate_fixtures("engine_networks.py");
    ASSERT_TRUE(dir.is_ok()) << dir.status().to_string();
    dir_ = *dir;
    std::ifstream in(dir_ + "/manifest.json");
    manifest_ = nlohmann::json::parse(in);
    for (const auto& [key, entry] : manifest_["weights"].items()) {
      weights_[key] = *testing::read_tensor(dir_, {entry["file"], entry["shape"].get<Shape>()});
    }
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static Tensor read(const nlohmann::json& entry) {
    return *testing::read_tensor(dir_, {entry["file"], entry["shape"].get<Shape>()});
  }
  // Undefined when missing: the graph then reports the op that lacked it.
  static Tensor w(const std::string& key) { return weights_.count(key) ? weights_[key] : Tensor{}; }

  static std::string dir_;
  static nlohmann::json manifest_;
  static Weights weights_;
};
std::string NetworksTest::dir_;
nlohmann::json NetworksTest::manifest_;
Weights NetworksTest::weights_;

class Builder {
 public:
  Builder(Graph& g, const Weights& weights, std::string prefix) : g_(g), weights_(weights), prefix_(std::move(prefix)) {}
  Value conv(Value x, const std::string& name, int padding = 1) {
    const std::string key = prefix_ + name;
    return g_.named(g_.conv2d(x, get(key + ".weight"), get(key + ".bias"), {.padding = padding}), key);
  }
  Tensor get(const std::string& key) const { return weights_.count(key) ? weights_.at(key) : Tensor{}; }
  Graph& g_;
  const Weights& weights_;
  std::string prefix_;
};

// ResidualDenseBlock: x: [n, nf, h, w] -> same.
Value rdb(Builder& b, Value x, const std::string& p) {
  Graph& g = b.g_;
  Value x1 = g.leaky_relu(b.conv(x, p + "conv1"), 0.2f);
  Value x2 = g.leaky_relu(b.conv(g.concat({x, x1}), p + "conv2"), 0.2f);
  Value x3 = g.leaky_relu(b.conv(g.concat({x, x1, x2}), p + "conv3"), 0.2f);
  Value x4 = g.leaky_relu(b.conv(g.concat({x, x1, x2, x3}), p + "conv4"), 0.2f);
  Value x5 = b.conv(g.concat({x, x1, x2, x3, x4}), p + "conv5");
  return g.add(g.scale(x5, 0.2f), x);
}

Graph build_rrdbnet(const Weights& weights, const Shape& input, int blocks) {
  Graph g;
  Builder b(g, weights, "rrdbnet.");
  Value x = g.input("x", input);                     // x: [1, 3, h, w]
  Value feat = b.conv(x, "conv_first");              // [1, 16, h, w]
  Value body = feat;
  for (int i = 0; i < blocks; ++i) {
    const std::string p = "body." + std::to_string(i) + ".";
    Value out = rdb(b, rdb(b, rdb(b, body, p + "rdb1."), p + "rdb2."), p + "rdb3.");
    body = g.add(g.scale(out, 0.2f), body);
  }
  feat = g.add(feat, b.conv(body, "conv_body"));
  ResizeAttrs up{.mode = ResizeMode::kNearest, .scale_h = 2, .scale_w = 2};
  feat = g.leaky_relu(b.conv(g.resize(feat, up), "conv_up1"), 0.2f);  // [1, 16, 2h, 2w]
  feat = g.leaky_relu(b.conv(g.resize(feat, up), "conv_up2"), 0.2f);  // [1, 16, 4h, 4w]
  g.mark_output(b.conv(g.leaky_relu(b.conv(feat, "conv_hr"), 0.2f), "conv_last"));
  return g;
}

Graph build_compact(const Weights& weights, const Shape& input, int num_conv, int upscale) {
  Graph g;
  Builder b(g, weights, "compact.");
  Value x = g.input("x", input);
  Value out = x;
  for (int i = 0; i <= num_conv; ++i) {
    out = b.conv(out, "body." + std::to_string(2 * i));
    out = g.prelu(out, b.get("compact.body." + std::to_string(2 * i + 1) + ".weight"));
  }
  out = b.conv(out, "body." + std::to_string(2 * num_conv + 2));  // [1, 3 * r * r, h, w]
  out = g.pixel_shuffle(out, upscale);
  ResizeAttrs up{.mode = ResizeMode::kNearest, .scale_h = float(upscale), .scale_w = float(upscale)};
  g.mark_output(g.add(out, g.resize(x, up)));
  return g;
}

void expect_matches_pytorch(const Graph& g, const Tensor& input, const Tensor& expected) {
  ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
  for (const std::string& name : backend_names()) {
    auto backend = create_backend(name);
    ASSERT_TRUE(backend.is_ok());
    for (bool passes : {false, true}) {
      SCOPED_TRACE(name + (passes ? " with passes" : " without passes"));
      auto exe = (*backend)->prepare(g, PrepareOptions{.run_graph_passes = passes});
      ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
      std::vector<Tensor> outputs(1);
      for (int run = 0; run < 2; ++run) ASSERT_TRUE((*exe)->run({&input, 1}, outputs).is_ok());
      EXPECT_LE(testing::relative_error(outputs[0], expected), name == "reference" ? 2e-5 : 1e-4);
    }
  }
}

TEST_F(NetworksTest, RrdbNetMatchesPytorch) {
  Graph g = build_rrdbnet(weights_, {1, 3, 12, 10}, 2);
  expect_matches_pytorch(g, read(manifest_["input"]), read(manifest_["outputs"]["rrdbnet"]));
}

TEST_F(NetworksTest, CompactMatchesPytorch) {
  Graph g = build_compact(weights_, {1, 3, 12, 10}, 4, 4);
  expect_matches_pytorch(g, read(manifest_["input"]), read(manifest_["outputs"]["compact"]));
}

TEST_F(NetworksTest, RrdbPassesFuseAndPlannerReusesMemory) {
  Graph g = build_rrdbnet(weights_, {1, 3, 64, 64}, 2);
  ASSERT_TRUE(g.status().is_ok());
  const size_t before = g.nodes().size();
  ASSERT_TRUE(optimize_graph(g).is_ok());
  int convs = 0, fused_residuals = 0, in_place = 0;
  for (const Node& node : g.nodes()) {
    if (node.kind == OpKind::kConv2d) {
      ++convs;
      fused_residuals += std::get<Conv2dAttrs>(node.attrs).post.has_residual;
    }
    if (node.kind == OpKind::kConcat) in_place += std::get<ConcatAttrs>(node.attrs).in_place;
  }
  EXPECT_EQ(convs, 1 + 2 * 15 + 5);
  EXPECT_EQ(fused_residuals, 2 * 3 + 1) << "each rdb's conv5 and conv_body sum their residual";
  // Every dense concat reads conv outputs: the RRDB's outer residual (0.2 * rdb3 + x) is folded
  // into rdb3's conv5, whose output is the block output.
  EXPECT_EQ(in_place, 2 * 3 * 4);
  // Per RRDB, scale + add now build conv5's residual (0.2 * rdb3's input + x) before conv5.
  const size_t concats = 2 * 3 * 4, resizes = 2, outer_residuals = 2 * 2;
  EXPECT_EQ(g.nodes().size(), convs + concats + resizes + outer_residuals) << "before: " << before;
  auto plan = plan_buffers(g, 4);
  ASSERT_TRUE(plan.is_ok());
  RecordProperty("peak_bytes", std::to_string(plan->peak_bytes));
  RecordProperty("total_bytes", std::to_string(plan->total_bytes));
  RecordProperty("largest_live_bytes", std::to_string(plan->largest_live_bytes));
  EXPECT_LE(plan->peak_bytes, plan->total_bytes / 4);
  EXPECT_LE(plan->peak_bytes, plan->largest_live_bytes * 5 / 4);
}

// Reduced-precision storage on the reference (the oracle for backends' bf16 modes): each value
// and weight is rounded to bf16/fp16 after its op, so the error grows but stays bounded.
TEST_F(NetworksTest, ReferenceEmulatesReducedPrecisionStorage) {
  Graph g = build_compact(weights_, {1, 3, 12, 10}, 4, 4);
  Tensor input = read(manifest_["input"]);
  Tensor expected = read(manifest_["outputs"]["compact"]);
  auto backend = create_backend("reference");
  ASSERT_TRUE(backend.is_ok());
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    auto exe = (*backend)->prepare(g, PrepareOptions{.compute_dtype = dtype});
    ASSERT_TRUE(exe.is_ok());
    std::vector<Tensor> outputs(1);
    ASSERT_TRUE((*exe)->run({&input, 1}, outputs).is_ok());
    double error = testing::relative_error(outputs[0], expected);
    EXPECT_GT(error, 1e-5);
    EXPECT_LT(error, dtype == DType::kBF16 ? 3e-2 : 3e-3);
  }
}

TEST_F(NetworksTest, MissingWeightIsReportedByName) {
  Weights partial = weights_;
  partial.erase("rrdbnet.body.1.rdb2.conv3.weight");
  Graph g = build_rrdbnet(partial, {1, 3, 12, 10}, 2);
  ASSERT_FALSE(g.status().is_ok());
  EXPECT_NE(g.status().message().find("conv2d"), std::string::npos) << g.status().message();
}

}  // namespace
}  // namespace upres::engine
