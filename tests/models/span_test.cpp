// SPAN (src/models/span/) against tests/reference/span_torch.py: the trained form (Conv3XC branches
// fused at load; the file's stale eval_conv ignored, as the original's eval mode does) at x4 with the
// input normalisation and at x2 without it ("no_norm"), and the fused eval form (eval_conv only), from
// zip and params_ema legacy .pth files, on every backend; and files whose shapes do not fit.
#include <gtest/gtest.h>

#include "family_fixtures.h"
#include "models/architecture_registry.h"
#include "models/span/span.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

constexpr double kTolerance = 1e-4;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("span_torch.py", "span_fixtures", "");
  return *f;
}

class SPANTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SPANTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  fixtures().expect_case_files_match(GetParam(), kTolerance, [](const UpscaleModel& model, const nlohmann::json& c) {
    ASSERT_EQ(model.architecture(), "SPAN");
    const auto& config = dynamic_cast<const SPAN&>(model).config();
    EXPECT_EQ(config.feature_channels, c.at("feature_channels").get<int64_t>());
    EXPECT_EQ(config.norm, c.at("norm").get<bool>());
    EXPECT_EQ(config.form, c.at("form") == "fused" ? SPAN::Form::kFused : SPAN::Form::kTrained);
  });
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, SPANTest,
                         ::testing::Values("span_f16_x4", "span_f12_x2_nonorm", "span_f16_x4_fused"));

// The fused form's keys for `f` feature channels at `scale`.
testing::Shapes fused_span(int64_t f, int64_t scale) {
  testing::Shapes s;
  auto conv = [&](const std::string& key, int64_t in, int64_t out, int64_t k) {
    s.push_back({key + ".weight", {out, in, k, k}});
    s.push_back({key + ".bias", {out}});
  };
  conv("conv_1.eval_conv", 3, f, 3);
  for (int b = 1; b <= 6; ++b) {
    for (const char* c : {"c1_r", "c2_r", "c3_r"}) conv("block_" + std::to_string(b) + "." + c + ".eval_conv", f, f, 3);
  }
  conv("conv_2.eval_conv", f, f, 3);
  conv("conv_cat", 4 * f, f, 1);
  conv("upsampler.0", f, 3 * scale * scale, 3);
  return s;
}

TEST(SPANMemory, EstimateCoversTheArena) {
  for (int64_t scale : {2, 4}) {
    auto model = load_torch_upscale_model(testing::make_weights(fused_span(48, scale)), "span48.pth");
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    testing::expect_estimate_covers_arena(**model, 64, std::string("SPAN x") + std::to_string(scale));
  }
}

TEST(SPANBadFiles, ShapesThatDoNotFitAreNamed) {
  testing::Shapes fused = {{"conv_1.eval_conv.weight", {8, 3, 3, 3}}, {"conv_1.eval_conv.bias", {8}},
                           {"block_1.c1_r.eval_conv.weight", {8, 8, 3, 3}}, {"block_1.c1_r.eval_conv.bias", {8}},
                           {"conv_cat.weight", {8, 32, 1, 1}}, {"upsampler.0.weight", {48, 8, 3, 3}}};
  auto model = load_torch_upscale_model(testing::make_weights(fused), "bad_span.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("block_1.c2_r.eval_conv.weight"), std::string::npos) << model.status().to_string();
  fused[4].second = {8, 32, 1, 1};
  fused[5].second = {47, 8, 3, 3};  // not 3 * scale^2
  model = load_torch_upscale_model(testing::make_weights(fused), "bad_span.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("3 * scale^2"), std::string::npos) << model.status().to_string();
  EXPECT_NE(model.status().message().find("bad_span.pth"), std::string::npos) << model.status().to_string();
}

}  // namespace
}  // namespace upres::models
