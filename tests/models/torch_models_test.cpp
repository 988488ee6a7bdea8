// PyTorch-file architectures (RRDBNet in both key layouts, SRVGGNetCompact with each activation)
// against the same random weights run in PyTorch, from zip .pth, legacy .pth and .safetensors, on
// every built backend; and the community .pth files of waifu2x@1.6.5 against PyTorch.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/rrdbnet.h"
#include "models/srvgg_net_compact.h"
#include "models/upscale_model.h"
#include "weights/weight_file.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-4;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures(
      "models_torch_fixtures.py", "torch_models_fixtures",
      "--image " + testing::baby_png().string() + " --real-models " + testing::npm_models_dir().string());
  return *f;
}

engine::Shape shape_of(const json& j) { return j.at("shape").get<engine::Shape>(); }

// Every fixture input of `c` through `model` on every backend: the manifest's architecture and
// scale, and within kTolerance of PyTorch.
void expect_matches_torch(const UpscaleModel& model, const json& c) {
  EXPECT_EQ(model.architecture(), c.at("architecture").get<std::string>());
  fixtures().expect_matches(model, c, kTolerance);
}

class TorchModelsTest : public ::testing::TestWithParam<std::string> {};

std::optional<SRVGGNetCompact::ActType> act_hint(const json& c) {
  if (c.at("act_hint").is_null()) return std::nullopt;
  return c.at("act_hint") == "relu" ? SRVGGNetCompact::ActType::kRelu : SRVGGNetCompact::ActType::kLeakyRelu;
}

// Loads a fixture file. ReLU and LeakyReLU have no weights, so for .pth files of those the test
// says which (the .safetensors carry it as "act_type" metadata and go through load_upscale_model).
Result<std::shared_ptr<const UpscaleModel>> load_fixture(const fs::path& path, const json& c) {
  if (act_hint(c).has_value() && path.extension() == ".pth") {
    UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
    UPRES_ASSIGN_OR_RETURN(auto net, SRVGGNetCompact::from_weights(file.weights, act_hint(c)));
    return std::shared_ptr<const UpscaleModel>(std::move(net));
  }
  return load_upscale_model(path);
}

TEST_P(TorchModelsTest, MatchesPyTorchFromEveryFileFormat) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks case " << GetParam();
  ASSERT_EQ(c->at("files").size(), 3u);
  for (const json& file : c->at("files")) {
    SCOPED_TRACE(file.get<std::string>());
    auto model = load_fixture(fixtures().dir() / file.get<std::string>(), *c);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    expect_matches_torch(**model, *c);
  }
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, TorchModelsTest,
                         ::testing::Values("rrdb_new_x4", "rrdb_new_x2", "rrdb_new_x1", "rrdb_old_x4",
                                           "rrdb_old_x2", "rrdb_old_x1", "rrdb_old_x8", "compact_prelu_x4",
                                           "compact_prelu_x2", "compact_relu_x2", "compact_leakyrelu_x4"));

// The comparison can fail: ReLU weights read with the default LeakyReLU (no hint, no metadata in
// a .pth) differ from PyTorch wherever a pre-activation is negative.
class WeightlessActivationTest : public TorchModelsTest {};

TEST_P(WeightlessActivationTest, DefaultLeakyReluDiffersFromRelu) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr);
  auto model = load_upscale_model(fixtures().dir() / c->at("files")[0].get<std::string>());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const json& run = c->at("runs")[0];
  auto input =
      testing::read_f32_tensor(fixtures().dir() / run["input"]["file"].get<std::string>(), shape_of(run["input"]));
  auto expected = testing::read_f32_tensor(fixtures().dir() / run["expected"]["file"].get<std::string>(),
                                           shape_of(run["expected"]));
  ASSERT_TRUE(input.is_ok() && expected.is_ok());
  auto result = testing::run_model(**model, "reference", *input);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_GT(testing::max_abs_diff(result->output, *expected), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Relu, WeightlessActivationTest, ::testing::Values("compact_relu_x2"));

class CommunityModelsTest : public TorchModelsTest {};

TEST_P(CommunityModelsTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("real", GetParam());
  if (c == nullptr) GTEST_SKIP() << "no " << GetParam() << " in " << testing::npm_models_dir() << " (or no baby.png)";
  auto model = load_upscale_model(c->at("path").get<std::string>());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  expect_matches_torch(**model, *c);
}

INSTANTIATE_TEST_SUITE_P(Waifu2xPackage, CommunityModelsTest,
                         ::testing::Values("real_2x-AniScale", "real_4x-NMKD-YandereNeo-Superlite"));

TEST(CommunityModels, AniScaleIsCompactX2WithPrelu) {
  const fs::path path = testing::npm_models_dir() / "2x-AniScale.pth";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto file = weights::read_weight_file(path);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  auto net = SRVGGNetCompact::from_weights(file->weights);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  EXPECT_EQ((*net)->config().num_feat, 64);
  EXPECT_EQ((*net)->config().num_conv, 16);
  EXPECT_EQ((*net)->config().act_type, SRVGGNetCompact::ActType::kPrelu);
  EXPECT_EQ((*net)->scale(), 2);
}

TEST(CommunityModels, YandereNeoSuperliteIsOldArchRRDBNetX4) {
  const fs::path path = testing::npm_models_dir() / "4x-NMKD-YandereNeo-Superlite.pth";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto file = weights::read_weight_file(path);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  auto net = RRDBNet::from_weights(file->weights);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const RRDBNet::Config& c = (*net)->config();
  EXPECT_EQ(c.layout, RRDBNetLayout::kOldArch);
  EXPECT_EQ(c.num_feat, 64);
  EXPECT_EQ(c.num_block, 2);
  EXPECT_EQ(c.num_grow_ch, 32);
  EXPECT_EQ((*net)->scale(), 4);
  EXPECT_EQ((*net)->parameter_count(), 1590083);  // model-formats.md 2.5, counted by pth_inspect.py
}

// 4x_WTP_descreenton.pth against PyTorch: tests/models/omnisr_test.cpp.
TEST(CommunityModels, DescreentonIsOmniSR) {
  const fs::path path = testing::npm_models_dir() / "4x_WTP_descreenton.pth";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto model = load_upscale_model(path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->architecture(), "OmniSR");
  EXPECT_EQ((*model)->scale(), 4);
}

}  // namespace
}  // namespace upres::models
