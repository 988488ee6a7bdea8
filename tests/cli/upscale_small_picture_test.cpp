// `upres upscale` on a small picture runs the Winograd convolutions (their weight transform is cheap
// enough for one 40x30 tile since session 10; before, a rule sent such pictures to the direct
// kernels): the picture it writes is the Winograd pass's to the last 16-bit level, and within 1e-4
// of the direct kernels' picture.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "base/file_io.h"
#include "image/image_codec.h"
#include "models/upscale_model.h"
#include "pipeline/neural_upscaler.h"
#include "test_folder.h"
#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;

// `path` as one single-quoted shell word (appended piecewise: GCC 12 warns falsely about
// upres_command.h's quoted() here).
std::string shell_word(const fs::path& path) {
  std::string word = "'";
  word += path.string();
  word += "'";
  return word;
}

// Samples where `written` (16 bits) is not `exact` rounded to 16 bits.
int differing_16_bit_levels(const image::Image& written, const image::Image& exact) {
  int count = 0;
  for (size_t i = 0; i < written.sample_count(); ++i)
    count += std::lround(written.pixels()[i] * 65535.0f) != std::lround(exact.pixels()[i] * 65535.0f);
  return count;
}

float max_abs_diff(const image::Image& a, const image::Image& b) {
  float diff = 0.0f;
  for (size_t i = 0; i < a.sample_count(); ++i) diff = std::max(diff, std::abs(a.pixels()[i] - b.pixels()[i]));
  return diff;
}

// One fp32 pass of `model` over `rgb` with Winograd on or off as asked, clamped as upscale() does.
image::Image fp32_pass(std::shared_ptr<const models::UpscaleModel> model, const image::Image& rgb, bool winograd) {
  pipeline::InferenceOptions options;
  options.precision = pipeline::Precision::kF32;
  options.winograd = winograd;
  pipeline::NeuralUpscaler upscaler("model", std::move(model), options);
  pipeline::Progress progress;
  Result<image::Image> out = upscaler.run_pass(rgb, progress);
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  if (!out.is_ok()) return image::Image();
  for (size_t i = 0; i < out->sample_count(); ++i) out->pixels()[i] = std::clamp(out->pixels()[i], 0.0f, 1.0f);
  return *std::move(out);
}

TEST(UpscaleSmallPictureTest, SmallPicturesRunWinogradCloseToTheDirectPicture) {
  const fs::path model_path = fs::path(UPRES_SOURCE_DIR) / "models/RealESRGAN/realesr-animevideov3-x2.param";
  if (!fs::exists(model_path)) GTEST_SKIP() << model_path << " missing: run scripts/setup.d/models.sh";
  upres::testing::TestFolder dir;
  // 40x30: 1200 pixels in one tile. 16-bit, so the written picture keeps 1/65535 steps.
  image::Image picture(40, 30, 3);
  for (int y = 0; y < picture.height(); ++y)
    for (int x = 0; x < picture.width(); ++x)
      for (int c = 0; c < 3; ++c) picture.at(x, y, c) = ((x * 37 + y * 11 + c * 71) % 997) / 996.0f;
  picture.metadata.bits_per_sample = 16;
  ASSERT_TRUE(write_file_atomic(dir.path() / "in.png", image::encode_image(picture, {}).value()).is_ok());
  Result<image::Image> input = image::read_image(dir.path() / "in.png");
  ASSERT_TRUE(input.is_ok()) << input.status().message();

  std::string args = "upscale ";
  args += shell_word(dir.path() / "in.png");
  args += " --upscaler ";
  args += shell_word(model_path);
  args += " --scale 2 --precision fp32 -o ";
  args += shell_word(dir.path() / "out");
  const cli_testing::CommandRun run = cli_testing::run_upres(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  Result<image::Image> written = image::read_image(dir.path() / "out/00000.png");
  ASSERT_TRUE(written.is_ok()) << written.status().message();
  ASSERT_EQ(written->metadata.bits_per_sample, 16);

  auto model = models::load_upscale_model(model_path);
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  const image::Image winograd = fp32_pass(*model, *input, /*winograd=*/true);
  const image::Image direct = fp32_pass(*model, *input, /*winograd=*/false);
  ASSERT_EQ(written->width(), winograd.width());
  ASSERT_EQ(written->height(), winograd.height());
  ASSERT_EQ(written->sample_count(), winograd.sample_count());
  // The Winograd picture to the last 16-bit level: upscale took the Winograd kernels...
  EXPECT_EQ(differing_16_bit_levels(*written, winograd), 0);
  // ...which stay within 1e-4 of the direct ones. (The two differ by ~1e-6, which moves some of
  // these 14400 samples to the next level: the check above can tell them apart.)
  EXPECT_LE(max_abs_diff(*written, direct), 1e-4f);
  EXPECT_GT(differing_16_bit_levels(winograd, direct), 0);
}

}  // namespace
}  // namespace upres
