// ParseNet (facexlib face parsing) against a PyTorch port with random weights
// (tests/reference/parsenet_torch.py): configuration from key shapes, out_mask logits on every
// built backend, argmax labels, executable caching across backends and sizes, and errors.
#include "models/parsenet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "family_fixtures.h"
#include "model_test_support.h"
#include "nn/state_dict.h"
#include "synthetic_weights.h"
#include "weights/weight_file.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-4;  // max |logit difference|, logits of magnitude <= ~15
constexpr double kMinLabelAgreement = 0.999;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("parsenet_torch.py", "parsenet_fixtures", "");
  return *f;
}

class ParseNetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  }

  static std::unique_ptr<ParseNet> load(const std::string& name) {
    Result<std::unique_ptr<ParseNet>> net = ParseNet::load(fixtures().dir() / (name + ".pth"));
    EXPECT_TRUE(net.is_ok()) << net.status().message();
    return net.is_ok() ? std::move(net).value() : nullptr;
  }
  static engine::Tensor read_face(const json& c) {
    const int64_t side = c.at("side").get<int64_t>();
    const fs::path path = fixtures().dir() / (c.at("name").get<std::string>() + ".face.f32");
    Result<engine::Tensor> t = testing::read_f32_tensor(path, {1, 3, side, side});
    EXPECT_TRUE(t.is_ok()) << t.status().message();
    return t.is_ok() ? t.value() : engine::Tensor();
  }
  static engine::Tensor read_logits(const json& c) {
    const int64_t side = c.at("side").get<int64_t>();
    const fs::path path = fixtures().dir() / (c.at("name").get<std::string>() + ".logits.f32");
    Result<engine::Tensor> t =
        testing::read_f32_tensor(path, {1, c.at("parsing_ch").get<int64_t>(), side, side});
    EXPECT_TRUE(t.is_ok()) << t.status().message();
    return t.is_ok() ? t.value() : engine::Tensor();
  }
  static std::vector<uint8_t> read_labels(const json& c) {
    std::ifstream in(fixtures().dir() / (c.at("name").get<std::string>() + ".labels.u8"),
                     std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

double agreement(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(a.size());
}

TEST_F(ParseNetTest, ConfigurationComesFromKeyShapes) {
  for (const json& c : fixtures().manifest().at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const fs::path path = fixtures().dir() / (c.at("name").get<std::string>() + ".pth");
    Result<weights::WeightFile> file = weights::read_weight_file(path);
    ASSERT_TRUE(file.is_ok()) << file.status().message();
    Result<ParseNet::Config> config =
        ParseNet::Config::from_weights(nn::StateDict(file.value().weights));
    ASSERT_TRUE(config.is_ok()) << config.status().message();
    EXPECT_EQ(config->base_ch, c.at("base_ch").get<int64_t>());
    EXPECT_EQ(config->down_steps, c.at("down_steps").get<int>());
    EXPECT_EQ(config->up_steps, c.at("down_steps").get<int>());
    EXPECT_EQ(config->res_depth, c.at("res_depth").get<int>());
    EXPECT_EQ(config->parsing_ch, c.at("parsing_ch").get<int64_t>());
    EXPECT_EQ(config->in_size(), c.at("in_size").get<int>());
    EXPECT_EQ(config->prelu, c.at("prelu").get<bool>());
    EXPECT_TRUE(config->batch_norm);
  }
}

TEST_F(ParseNetTest, LogitsMatchPyTorchOnEveryBackend) {
  for (const json& c : fixtures().manifest().at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    std::unique_ptr<ParseNet> net = load(name);
    ASSERT_NE(net, nullptr);
    const engine::Tensor face = read_face(c);
    const engine::Tensor expected = read_logits(c);
    for (const std::string& backend : testing::backends_for_side(c.at("side").get<int64_t>(), 128)) {
      SCOPED_TRACE(name + " on " + backend);
      Result<engine::Tensor> logits = net->logits(face, backend);
      ASSERT_TRUE(logits.is_ok()) << logits.status().message();
      EXPECT_LT(testing::max_abs_diff(logits.value(), expected), kTolerance)
          << "PyTorch max |logit| " << c.at("logits_abs_max").get<double>();
    }
  }
}

TEST_F(ParseNetTest, LabelsAgreeWithPyTorchArgmax) {
  for (const json& c : fixtures().manifest().at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    std::unique_ptr<ParseNet> net = load(name);
    ASSERT_NE(net, nullptr);
    const std::vector<uint8_t> expected = read_labels(c);
    const int64_t side = c.at("side").get<int64_t>();
    ASSERT_EQ(expected.size(), static_cast<size_t>(side * side));
    Result<std::vector<uint8_t>> labels = net->parse(read_face(c), engine::backend_names().back());
    ASSERT_TRUE(labels.is_ok()) << labels.status().message();
    EXPECT_GE(agreement(labels.value(), expected), kMinLabelAgreement);
    const std::set<uint8_t> seen(labels->begin(), labels->end());
    EXPECT_EQ(static_cast<int>(seen.size()), c.at("classes_seen").get<int>());
    EXPECT_LT(*seen.rbegin(), c.at("parsing_ch").get<int>());
  }
}

TEST_F(ParseNetTest, CachedExecutableFollowsBackendAndSize) {
  const json* found = fixtures().find("cases", "parsenet128_prelu");
  ASSERT_NE(found, nullptr);
  const json& c = *found;
  std::unique_ptr<ParseNet> net = load("parsenet128_prelu");
  ASSERT_NE(net, nullptr);
  const engine::Tensor face = read_face(c);
  const std::vector<uint8_t> expected = read_labels(c);
  for (const std::string& backend :
       {engine::backend_names().back(), std::string("reference"), engine::backend_names().back()}) {
    SCOPED_TRACE(backend);
    for (int run = 0; run < 2; ++run) {
      Result<std::vector<uint8_t>> labels = net->parse(face, backend);
      ASSERT_TRUE(labels.is_ok()) << labels.status().message();
      EXPECT_GE(agreement(labels.value(), expected), kMinLabelAgreement);
    }
  }
  // A smaller face (a multiple of 2^down_steps = 4) recompiles; then 128 again matches.
  std::vector<float> small_values(3 * 64 * 64, 0.5f);
  const engine::Tensor small = engine::Tensor::from_f32(small_values, {1, 3, 64, 64}).value();
  Result<engine::Tensor> small_logits = net->logits(small, "reference");
  ASSERT_TRUE(small_logits.is_ok()) << small_logits.status().message();
  EXPECT_EQ(small_logits->shape(), (engine::Shape{1, 19, 64, 64}));
  Result<engine::Tensor> again = net->logits(face, "reference");
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_LT(testing::max_abs_diff(again.value(), read_logits(c)), kTolerance);
}

TEST_F(ParseNetTest, RejectsBadFaces) {
  std::unique_ptr<ParseNet> net = load("parsenet128_prelu");
  ASSERT_NE(net, nullptr);
  for (const engine::Shape& shape : std::vector<engine::Shape>{
           {1, 3, 126, 128}, {1, 1, 128, 128}, {2, 3, 128, 128}, {1, 3, 4, 4}, {3, 128, 128}}) {
    SCOPED_TRACE(engine::shape_to_string(shape));
    const engine::Tensor face = engine::Tensor::zeros(shape).value();
    Result<std::vector<uint8_t>> labels = net->parse(face, "reference");
    ASSERT_FALSE(labels.is_ok());
    EXPECT_EQ(labels.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(labels.status().message().find("multiples of 4"), std::string::npos)
        << labels.status().message();
  }
  Result<std::vector<uint8_t>> labels =
      net->parse(engine::Tensor::zeros({1, 3, 128, 128}).value(), "no-such");
  EXPECT_FALSE(labels.is_ok());
}

TEST_F(ParseNetTest, MissingKeyIsNamed) {
  const std::string key = fixtures().manifest().at("missing_key").get<std::string>();
  Result<std::unique_ptr<ParseNet>> net = ParseNet::load(fixtures().dir() / "missing_key.pth");
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kNotFound);
  EXPECT_NE(net.status().message().find(key), std::string::npos) << net.status().message();
  EXPECT_NE(net.status().message().find("missing_key.pth"), std::string::npos)
      << net.status().message();
}

TEST(ParseNetConfigTest, RejectsOtherNetworksAndUnequalSteps) {
  testing::Shapes other;
  testing::add_conv(other, "conv_first", 3, 64);
  const weights::WeightMap other_weights = testing::make_weights(other);
  Result<ParseNet::Config> config = ParseNet::Config::from_weights(nn::StateDict(other_weights));
  ASSERT_FALSE(config.is_ok());
  EXPECT_EQ(config.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(config.status().message().find("not a ParseNet"), std::string::npos);

  testing::Shapes uneven{{"encoder.0.conv2d.weight", {8, 3, 3, 3}},
                         {"encoder.1.conv1.conv2d.weight", {16, 8, 3, 3}},
                         {"out_mask_conv.conv2d.weight", {19, 16, 3, 3}}};
  const weights::WeightMap uneven_weights = testing::make_weights(uneven);
  config = ParseNet::Config::from_weights(nn::StateDict(uneven_weights));
  ASSERT_FALSE(config.is_ok());
  EXPECT_EQ(config.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(config.status().message().find("out_size != in_size"), std::string::npos);
}

TEST(ParseNetConfigTest, WrongWidthNamesTheTensor) {
  testing::Shapes shapes{{"encoder.0.conv2d.weight", {8, 3, 3, 3}},
                         {"encoder.0.conv2d.bias", {8}},
                         {"body.0.conv1.conv2d.weight", {8, 4, 3, 3}},
                         {"out_mask_conv.conv2d.weight", {19, 8, 3, 3}}};
  const weights::WeightMap weights = testing::make_weights(shapes);
  Result<std::unique_ptr<ParseNet>> net = ParseNet::from_weights(nn::StateDict(weights));
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(net.status().message().find("body.0.conv1.conv2d.weight"), std::string::npos)
      << net.status().message();
}

}  // namespace
}  // namespace upres::models
