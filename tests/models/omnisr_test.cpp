// OmniSR (src/models/omnisr/) against tests/reference/omnisr_torch.py: random-weight configurations
// (window 4 and 8, with and without position bias and biases, x2/x3/x4, inputs off the window
// multiple) from .pth, params_ema legacy .pth and .safetensors, on every backend; the community file
// 4x_WTP_descreenton.pth (waifu2x@1.6.5, installed by scripts/setup.sh) on a crop of baby.png; and
// files whose shapes do not fit.
#include <gtest/gtest.h>

#include <memory>

#include "family_fixtures.h"
#include "models/architecture_registry.h"
#include "models/omnisr/omnisr.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;

constexpr double kTolerance = 1e-4;
constexpr double kRealMinPsnr = 50.0;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures(
      "omnisr_torch.py", "omnisr_fixtures",
      "--image " + testing::baby_png().string() + " --real-models " + testing::npm_models_dir().string());
  return *f;
}

class OmniSRTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OmniSRTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  fixtures().expect_case_files_match(GetParam(), kTolerance, [](const UpscaleModel& model, const nlohmann::json& c) {
    ASSERT_EQ(model.architecture(), "OmniSR");
    const auto& config = dynamic_cast<const OmniSR&>(model).config();
    const nlohmann::json& expected = c.at("config");
    EXPECT_EQ(config.num_feat, expected.at("num_feat").get<int64_t>());
    EXPECT_EQ(config.block_num, expected.at("block_num").get<int>());
    EXPECT_EQ(config.res_num, expected.at("res_num").get<int>());
    EXPECT_EQ(config.bias, expected.at("bias").get<bool>());
    EXPECT_EQ(config.with_pe, expected.at("with_pe").get<bool>());
    if (config.with_pe) {
      EXPECT_EQ(config.window_size, expected.at("window_size").get<int>());
    }
  });
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, OmniSRTest,
                         ::testing::Values("omnisr_nf16_w4_x2", "omnisr_nf8_w8_x3_nope", "omnisr_nf16_w4_x4"));

TEST(OmniSRReal, DescreentonMatchesPyTorch) {
  const fs::path path = testing::npm_models_dir() / "4x_WTP_descreenton.pth";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent (scripts/setup.sh installs it from waifu2x@1.6.5)";
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const nlohmann::json* c = fixtures().find("real", "real_4x_WTP_descreenton");
  if (c == nullptr) GTEST_SKIP() << "no baby.png for the crop";
  auto model = load_upscale_model(path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const auto& config = dynamic_cast<const OmniSR&>(**model).config();
  EXPECT_EQ(config.num_feat, 64);
  EXPECT_EQ(config.res_num, 5);
  EXPECT_EQ(config.block_num, 1);
  EXPECT_EQ(config.window_size, 8);
  EXPECT_TRUE(config.with_pe);
  fixtures().expect_matches(**model, *c, kTolerance, kRealMinPsnr);
}

TEST(OmniSRMemory, EstimateCoversTheArena) {
  const fs::path path = testing::npm_models_dir() / "4x_WTP_descreenton.pth";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto model = load_upscale_model(path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  testing::expect_estimate_covers_arena(**model, 64, "4x_WTP_descreenton");
}

// The detection keys, input and up convs of an nf-feature x4 OmniSR with a position-bias table of
// `table_rows` rows, and nothing else.
testing::Shapes skeleton(int64_t nf, int64_t table_rows) {
  return {{"residual_layer.0.residual_layer.0.layer.0.fn.0.weight", {nf, nf, 1, 1}},
          {"residual_layer.0.residual_layer.0.layer.2.fn.rel_pos_bias.weight", {table_rows, 4}},
          {"residual_layer.0.residual_layer.1.weight", {nf, nf, 1, 1}},
          {"input.weight", {nf, 3, 3, 3}}, {"input.bias", {nf}},
          {"up.0.weight", {48, nf, 3, 3}}, {"up.0.bias", {48}}};
}

TEST(OmniSRBadFiles, ShapesThatDoNotFitAreNamed) {
  struct Case {
    testing::Shapes shapes;
    std::string message;
  };
  const Case cases[] = {
      {skeleton(8, 225), "output.weight"},                    // a missing tensor
      {skeleton(8, 224), "not (2 * window - 1)^2"},            // a table no window gives
      {skeleton(6, 225), "num_feat 6"},                        // no 4 heads
  };
  for (const Case& c : cases) {
    const weights::WeightMap map = testing::make_weights(c.shapes);
    auto model = load_torch_upscale_model(map, "bad_omnisr.pth");
    ASSERT_FALSE(model.is_ok()) << c.message;
    EXPECT_NE(model.status().message().find("bad_omnisr.pth"), std::string::npos) << model.status().to_string();
    EXPECT_NE(model.status().message().find(c.message), std::string::npos) << model.status().to_string();
  }
}

TEST(OmniSRGraph, SmallInputsPadToTheWindowAndEsaMinimum) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  auto model = load_upscale_model(fixtures().dir() / "omnisr_nf16_w4_x2.pth");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const auto& omnisr = dynamic_cast<const OmniSR&>(**model);
  EXPECT_EQ(omnisr.padded_side(5), 16);  // window 4, ESA needs 15
  EXPECT_EQ(omnisr.padded_side(17), 20);
  auto graph = omnisr.build_graph(5, 7);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  EXPECT_EQ(graph->shape(graph->outputs()[0]), (engine::Shape{1, 3, 10, 14}));
}

}  // namespace
}  // namespace upres::models
