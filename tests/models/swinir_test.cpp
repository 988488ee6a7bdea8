// SwinIR against our PyTorch SwinIR (tests/reference/swinir_torch.py) with random weights on every
// backend, at sizes that are and are not window multiples; detection of every public variant's key
// structure (the real-world L config included) from shapes; and the errors for hostile files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend_registry.h"
#include "models/architecture_registry.h"
#include "models/swinir/swinir.h"
#include "nn/state_dict.h"
#include "swin_test_support.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using testing::make_weights;
using testing::SwinShapes;

class SwinIRTorchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SwinIRTorchTest, MatchesPyTorch) {
  if (!testing::swin_fixtures().skip_reason().empty()) GTEST_SKIP() << testing::swin_fixtures().skip_reason();
  testing::expect_swin_case_matches_torch(GetParam());
}

// classical pixelshuffle x2 (params_ema wrapper, 2 groups), lightweight pixelshuffledirect x3,
// real-world nearest+conv x4 with 3conv and window 8, colour JPEG x1 (window 7, img_range 255).
INSTANTIATE_TEST_SUITE_P(RandomWeights, SwinIRTorchTest,
                         ::testing::Values("swinir_classical_x2", "swinir_lightweight_x3", "swinir_real_x4_3conv",
                                           "swinir_jpeg_x1"));

// Smaller than the window (PyTorch's reflect pad refuses a pad that reaches the size): the
// reflection repeats in steps, a 1-pixel side replicates; the output is finite and cropped.
TEST(SwinIRTinyInput, SmallerThanTheWindowRuns) {
  const testing::FamilyFixtures& f = testing::swin_fixtures();
  if (!f.skip_reason().empty()) GTEST_SKIP() << f.skip_reason();
  auto model = load_upscale_model(f.dir() / "swinir_real_x4_3conv.pth");  // window 8
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  for (const auto& [h, w] : {std::pair{3, 2}, std::pair{1, 5}}) {
    auto input = engine::Tensor::zeros({1, 3, h, w});
    ASSERT_TRUE(input.is_ok());
    for (const std::string& backend : engine::backend_names()) {
      SCOPED_TRACE(backend + " " + std::to_string(h) + "x" + std::to_string(w));
      auto run = testing::run_model(**model, backend, *input);
      ASSERT_TRUE(run.is_ok()) << run.status().to_string();
      EXPECT_EQ(run->output.shape(), (engine::Shape{1, 3, 4 * h, 4 * w}));
      for (float v : run->output.to_f32()) ASSERT_TRUE(std::isfinite(v));
    }
  }
}

Result<std::shared_ptr<const SwinIR>> load(const testing::Shapes& shapes) {
  const weights::WeightMap map = make_weights(shapes);
  return SwinIR::from_weights(map);
}

TEST(SwinIRDetection, RealWorldLargeConfigFromKeys) {
  // 003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN's key structure (9 groups, 8 heads, window 8,
  // mlp ratio 2, 3conv, nearest+conv) at small widths.
  SwinShapes l{.dim = 16, .depths = std::vector<int>(9, 2), .heads = std::vector<int64_t>(9, 8), .window = 8,
               .hidden = 32, .upsampler = "nearest+conv", .scale = 4, .three_conv = true, .num_feat = 8};
  const weights::WeightMap map = make_weights(l.build());
  auto entry = detect_architecture(nn::StateDict(map));
  ASSERT_TRUE(entry.is_ok()) << entry.status().to_string();
  EXPECT_EQ((*entry)->name, "SwinIR");
  auto net = SwinIR::from_weights(map);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const swin::FrameConfig& c = (*net)->config();
  EXPECT_EQ(c.upsampler, swin::Upsampler::kNearestConv);
  EXPECT_EQ(c.upscale, 4);
  EXPECT_TRUE(c.three_conv);
  EXPECT_EQ(c.depths, std::vector<int>(9, 2));
  EXPECT_EQ(c.heads, std::vector<int64_t>(9, 8));
  EXPECT_EQ(c.window, 8);
  EXPECT_EQ(c.mlp_hidden, 32);
  EXPECT_EQ(c.num_feat, 8);
  EXPECT_EQ(c.img_range, 1.0f);
  EXPECT_EQ((*net)->scale(), 4);
  auto graph = (*net)->build_graph(13, 9);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  EXPECT_EQ(graph->shape(graph->outputs()[0]), (engine::Shape{1, 3, 52, 36}));
}

TEST(SwinIRDetection, UpsamplerAndScaleFromShapes) {
  struct Case {
    const char* upsampler;
    int scale;
    int window;
  };
  for (const Case& k : {Case{"pixelshuffle", 2, 8}, Case{"pixelshuffle", 3, 8}, Case{"pixelshuffle", 4, 8},
                        Case{"pixelshuffle", 8, 8}, Case{"pixelshuffledirect", 2, 8}, Case{"pixelshuffledirect", 4, 8},
                        Case{"nearest+conv", 2, 8}, Case{"nearest+conv", 8, 8}, Case{"", 1, 7}, Case{"", 1, 8}}) {
    SCOPED_TRACE(std::string(k.upsampler) + " x" + std::to_string(k.scale));
    SwinShapes s{.window = k.window, .upsampler = k.upsampler, .scale = k.scale};
    auto net = load(s.build());
    ASSERT_TRUE(net.is_ok()) << net.status().to_string();
    EXPECT_EQ((*net)->scale(), k.scale);
    EXPECT_STREQ(swin::upsampler_name((*net)->config().upsampler), k.upsampler);
    EXPECT_EQ((*net)->config().img_range, k.window == 7 ? 255.0f : 1.0f);
    auto graph = (*net)->build_graph(5, 11);
    ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
    EXPECT_EQ(graph->shape(graph->outputs()[0]), (engine::Shape{1, 3, 5 * k.scale, 11 * k.scale}));
  }
}

TEST(SwinIRDetection, DoesNotTakeOtherFamilies) {
  const testing::Shapes swinir = SwinShapes{}.build();
  EXPECT_TRUE(SwinIR::matches(nn::StateDict(make_weights(swinir))));
  const weights::WeightMap hat = make_weights(testing::with_shape(swinir, "relative_position_index_SA", {16, 16}));
  EXPECT_FALSE(SwinIR::matches(nn::StateDict(hat)));
  const weights::WeightMap v2 = make_weights(SwinShapes{.is_v2 = true}.build());
  EXPECT_FALSE(SwinIR::matches(nn::StateDict(v2)));
}

TEST(SwinIRHostile, HeadsNotDividingEmbedDim) {
  const std::string key = "layers.0.residual_group.blocks.0.attn.relative_position_bias_table";
  auto net = load(testing::with_shape(SwinShapes{}.build(), key, {49, 5}));
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(net.status().message().find("5 heads"), std::string::npos) << net.status().to_string();
  EXPECT_NE(net.status().message().find(key), std::string::npos) << net.status().to_string();
}

TEST(SwinIRHostile, ZeroHeadsHugeDimsAndWrongShapes) {
  const std::string block = "layers.0.residual_group.blocks.0.";
  const struct {
    testing::Shapes shapes;
    std::string needle;
  } cases[] = {
      {testing::with_shape(SwinShapes{}.build(), block + "attn.relative_position_bias_table", {49, 0}), "0 heads"},
      {testing::with_shape(SwinShapes{}.build(), "conv_first.weight", {100000, 3, 3, 3}), "embed_dim 100000"},
      {testing::with_shape(SwinShapes{}.build(), block + "attn.relative_position_index", {15, 15}), "window^2"},
      {testing::with_shape(SwinShapes{}.build(), block + "attn.qkv.weight", {48, 15}), block + std::string("attn.qkv.weight")},
      {testing::with_shape(SwinShapes{}.build(), block + "attn.relative_position_bias_table", {40, 2}),
       block + std::string("attn.relative_position_bias_table")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.needle);
    auto net = load(c.shapes);
    ASSERT_FALSE(net.is_ok());
    EXPECT_EQ(net.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(net.status().message().find(c.needle), std::string::npos) << net.status().to_string();
  }
}

TEST(SwinIRHostile, TruncatedFileNamesTheFile) {
  const testing::FamilyFixtures& f = testing::swin_fixtures();
  if (!f.skip_reason().empty()) GTEST_SKIP() << f.skip_reason();
  const fs::path source = f.dir() / "swinir_classical_x2.pth";
  const fs::path cut = fs::path(::testing::TempDir()) / "swinir_truncated.pth";
  std::ifstream in(source, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 2 / 3));
  auto model = load_upscale_model(cut);
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("swinir_truncated.pth"), std::string::npos) << model.status().to_string();
}

TEST(SwinIRMemory, EstimateCoversThePlannedArena) {
  const struct {
    const char* name;
    SwinShapes shapes;
  } cases[] = {
      {"real-world 3conv x4", {.dim = 32, .depths = {2, 2}, .heads = {4, 4}, .window = 8, .hidden = 64,
                               .upsampler = "nearest+conv", .scale = 4, .three_conv = true, .num_feat = 64}},
      {"classical x2", {.dim = 48, .depths = {2}, .heads = {6}, .window = 8, .hidden = 96, .upsampler = "pixelshuffle",
                        .scale = 2, .num_feat = 64}},
      {"lightweight x4", {.dim = 24, .depths = {2}, .heads = {6}, .window = 8, .hidden = 48,
                          .upsampler = "pixelshuffledirect", .scale = 4}},
      {"jpeg x1", {.dim = 48, .depths = {2}, .heads = {6}, .window = 7, .hidden = 96, .upsampler = "", .scale = 1}},
  };
  for (const auto& c : cases) {
    auto net = load(c.shapes.build());
    ASSERT_TRUE(net.is_ok()) << net.status().to_string();
    testing::expect_estimate_covers_arena(**net, 64, std::string("SwinIR ") + c.name);
  }
}

}  // namespace
}  // namespace upres::models
