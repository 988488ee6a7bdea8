// Swin2SR against our PyTorch Swin2SR (tests/reference/swinir_torch.py) with random weights on
// every backend, at sizes that are and are not window multiples; detection apart from SwinIR; and
// the errors for hostile files.
#include <gtest/gtest.h>

#include <string>

#include "models/architecture_registry.h"
#include "models/swinir/swin2sr.h"
#include "models/swinir/swinir.h"
#include "nn/state_dict.h"
#include "swin_test_support.h"

namespace upres::models {
namespace {

using testing::make_weights;
using testing::SwinShapes;

class Swin2SRTorchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Swin2SRTorchTest, MatchesPyTorch) {
  if (!testing::swin_fixtures().skip_reason().empty()) GTEST_SKIP() << testing::swin_fixtures().skip_reason();
  testing::expect_swin_case_matches_torch(GetParam());
}

// classical pixelshuffle x2, lightweight pixelshuffledirect x3 (2 groups), real-world
// nearest+conv x4 (3conv, window 8, params_ema), compressed-input pixelshuffle_aux x4.
INSTANTIATE_TEST_SUITE_P(RandomWeights, Swin2SRTorchTest,
                         ::testing::Values("swin2sr_classical_x2", "swin2sr_lightweight_x3", "swin2sr_real_x4",
                                           "swin2sr_compressed_x4"));

TEST(Swin2SRDetection, SeparatedFromSwinIR) {
  for (const char* upsampler : {"pixelshuffle", "pixelshuffledirect", "nearest+conv", "pixelshuffle_aux", ""}) {
    SCOPED_TRACE(upsampler);
    const int scale = std::string(upsampler).empty() ? 1 : 4;
    const weights::WeightMap map = make_weights(SwinShapes{.is_v2 = true, .upsampler = upsampler, .scale = scale}.build());
    auto entry = detect_architecture(nn::StateDict(map));
    ASSERT_TRUE(entry.is_ok()) << entry.status().to_string();
    EXPECT_EQ((*entry)->name, "Swin2SR");
    EXPECT_FALSE(SwinIR::matches(nn::StateDict(map)));
    auto net = Swin2SR::from_weights(map);
    ASSERT_TRUE(net.is_ok()) << net.status().to_string();
    EXPECT_EQ((*net)->scale(), scale);
    EXPECT_STREQ(swin::upsampler_name((*net)->config().upsampler), upsampler);
    auto graph = (*net)->build_graph(6, 9);
    ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
    EXPECT_EQ(graph->shape(graph->outputs()[0]), (engine::Shape{1, 3, 6 * scale, 9 * scale}));
  }
  const weights::WeightMap v1 = make_weights(SwinShapes{}.build());
  EXPECT_FALSE(Swin2SR::matches(nn::StateDict(v1)));
}

TEST(Swin2SRHostile, HeadsNotDividingEmbedDim) {
  const std::string key = "layers.0.residual_group.blocks.0.attn.logit_scale";
  const weights::WeightMap map = make_weights(testing::with_shape(SwinShapes{.is_v2 = true}.build(), key, {3, 1, 1}));
  auto net = Swin2SR::from_weights(map);
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(net.status().message().find("3 heads"), std::string::npos) << net.status().to_string();
}

TEST(Swin2SRHostile, WrongCpbShapeNamesTheKey) {
  const std::string key = "layers.0.residual_group.blocks.1.attn.cpb_mlp.2.weight";
  const weights::WeightMap map = make_weights(testing::with_shape(SwinShapes{.is_v2 = true}.build(), key, {3, 512}));
  auto model = load_torch_upscale_model(map, "bad_swin2sr.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(model.status().message().find(key), std::string::npos) << model.status().to_string();
  EXPECT_NE(model.status().message().find("bad_swin2sr.pth"), std::string::npos) << model.status().to_string();
}

}  // namespace
}  // namespace upres::models
