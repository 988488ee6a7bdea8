// GFPGANv1Clean (GfpganRestorer) against a PyTorch port with random weights
// (tests/reference/gfpgan_torch.py): configuration read from key shapes, the network output and
// restore() on every built backend, executable caching, and errors for bad files and inputs.
#include "models/gfpgan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "family_fixtures.h"
#include "model_test_support.h"
#include "nn/state_dict.h"
#include "weights/weight_file.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-4;  // max abs, network output on the [-1, 1] scale

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("gfpgan_torch.py", "gfpgan_fixtures", "");
  return *f;
}

class GfpganTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  }

  static Result<std::unique_ptr<FaceRestorer>> load(const std::string& file) {
    const fs::path path = fixtures().dir() / file;
    UPRES_ASSIGN_OR_RETURN(weights::WeightFile weights, weights::read_weight_file(path));
    return load_gfpgan(std::move(weights), path.string());
  }
  static engine::Tensor read(const std::string& file, int64_t size) {
    Result<engine::Tensor> t = testing::read_f32_tensor(fixtures().dir() / file, {1, 3, size, size});
    EXPECT_TRUE(t.is_ok()) << t.status().message();
    return t.is_ok() ? t.value() : engine::Tensor();
  }
};

TEST_F(GfpganTest, ConfigurationComesFromKeyShapes) {
  for (const json& c : fixtures().manifest().at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const std::string file = c.at("name").get<std::string>() + ".pth";
    Result<weights::WeightFile> weights = weights::read_weight_file(fixtures().dir() / file);
    ASSERT_TRUE(weights.is_ok()) << weights.status().message();
    const nn::StateDict state(weights.value().weights);
    EXPECT_TRUE(looks_like_gfpgan(state));
    Result<GfpganRestorer::Config> config = GfpganRestorer::Config::from_weights(state);
    ASSERT_TRUE(config.is_ok()) << config.status().message();
    const GfpganRestorer::Config& got = config.value();
    EXPECT_EQ(got.out_size(), c.at("out_size").get<int>());
    EXPECT_EQ(got.num_style_feat, c.at("num_style_feat").get<int64_t>());
    EXPECT_EQ(got.different_w, c.at("different_w").get<bool>());
    EXPECT_EQ(got.sft_half, c.at("sft_half").get<bool>());
    EXPECT_EQ(got.decoder_channels.back(), c.at("decoder_channels").get<int64_t>());
    EXPECT_EQ(got.unet_channels.back(), c.at("unet_channels").get<int64_t>());
  }
}

TEST_F(GfpganTest, NetworkMatchesPyTorchOnEveryBackend) {
  for (const json& c : fixtures().manifest().at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    const int64_t size = c.at("out_size").get<int64_t>();
    Result<std::unique_ptr<FaceRestorer>> loaded = load(name + ".pth");
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
    auto* net = dynamic_cast<GfpganRestorer*>(loaded.value().get());
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(net->architecture(), "GFPGAN");
    EXPECT_EQ(net->face_size(), size);
    const engine::Tensor face = read(name + ".face.f32", size);
    const engine::Tensor expected = read(name + ".out.f32", size);
    std::vector<float> x = face.to_f32();
    for (float& v : x) v = v * 2.0f - 1.0f;
    const engine::Tensor normalized = engine::Tensor::from_f32(x, face.shape()).value();
    for (const std::string& backend : testing::backends_for_side(size, 512)) {
      SCOPED_TRACE(name + " on " + backend);
      Result<engine::Tensor> out = net->forward(normalized, {.backend = backend});
      ASSERT_TRUE(out.is_ok()) << out.status().message();
      EXPECT_LT(testing::max_abs_diff(out.value(), expected), kTolerance)
          << "PyTorch output max |y| " << c.at("out_abs_max").get<double>();
    }
  }
}

TEST_F(GfpganTest, RestoreMapsUnitRangeAndIsRepeatable) {
  const json* found = fixtures().find("cases", "gfpgan512_narrow16");
  ASSERT_NE(found, nullptr);
  const json& c = *found;
  Result<std::unique_ptr<FaceRestorer>> net = load("gfpgan512_narrow16.pth");
  ASSERT_TRUE(net.is_ok()) << net.status().message();
  const engine::Tensor face = read("gfpgan512_narrow16.face.f32", c.at("out_size").get<int64_t>());
  const engine::Tensor expected =
      read("gfpgan512_narrow16.restored.f32", c.at("out_size").get<int64_t>());
  Result<engine::Tensor> first = net.value()->restore(face, {});
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_LT(testing::max_abs_diff(first.value(), expected), kTolerance / 2);
  const std::vector<float> values = first.value().to_f32();
  EXPECT_GE(*std::min_element(values.begin(), values.end()), 0.0f);
  EXPECT_LE(*std::max_element(values.begin(), values.end()), 1.0f);
  EXPECT_GT(std::count(values.begin(), values.end(), 1.0f), 0)
      << "random weights should saturate some pixels";
  // Second call reuses the cached encoder executable and the stored noise: the same bytes.
  Result<engine::Tensor> second = net.value()->restore(face, {});
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_EQ(testing::max_abs_diff(first.value(), second.value()), 0.0);
}

TEST_F(GfpganTest, MissingKeyIsNamed) {
  Result<std::unique_ptr<FaceRestorer>> net = load("missing_key.pth");
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kNotFound);
  EXPECT_NE(net.status().message().find("condition_shift.3.2.weight"), std::string::npos)
      << net.status().message();
  EXPECT_NE(net.status().message().find("missing_key.pth"), std::string::npos)
      << net.status().message();
}

TEST_F(GfpganTest, OtherArchitecturesAreRefused) {
  Result<weights::WeightFile> weights = weights::read_weight_file(fixtures().dir() / "not_gfpgan.pth");
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  EXPECT_FALSE(looks_like_gfpgan(nn::StateDict(weights.value().weights)));
  Result<std::unique_ptr<FaceRestorer>> net = load("not_gfpgan.pth");
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(net.status().message().find("body.0.weight"), std::string::npos)
      << net.status().message();
}

TEST_F(GfpganTest, WrongFaceSizeIsRejected) {
  Result<std::unique_ptr<FaceRestorer>> net = load("gfpgan64_full_sft_shared_w.pth");
  ASSERT_TRUE(net.is_ok()) << net.status().message();
  const engine::Tensor face = engine::Tensor::zeros({1, 3, 32, 32}).value();
  Result<engine::Tensor> out = net.value()->restore(face, {});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("[1, 3, 64, 64]"), std::string::npos)
      << out.status().message();
}

}  // namespace
}  // namespace upres::models
