// Tests for resize(): PIL's Image.resize (LANCZOS, BICUBIC, NEAREST) on a real picture for up-
// and downscaling within 1/255 after rounding, plus sizes, clamping, alpha and metadata.
#include "image/resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "fixtures.h"
#include "image/image_codec.h"

namespace upres::image {
namespace {

using testing::make_fixture;
using testing::scratch_dir;

const char* filter_name(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::kLanczos: return "lanczos";
    case ResampleFilter::kBicubic: return "bicubic";
    case ResampleFilter::kNearest: return "nearest";
  }
  return "?";
}

TEST(Resample, MatchesPilOnARealPicture) {
  const std::filesystem::path source =
      std::filesystem::path(UPRES_TEST_DATA_DIR) / "images" / "set5" / "baby.png";
  if (!std::filesystem::exists(source)) GTEST_SKIP() << "no test picture at " << source;
  const auto dir = scratch_dir();
  // Up, down, one axis only, and non-integer factors both ways (baby.png is 512x512).
  const std::vector<std::pair<int, int>> sizes = {{1024, 768}, {256, 170}, {512, 300}, {700, 129}, {1536, 1536}};
  std::string args = testing::shell_quote(source);
  for (auto [w, h] : sizes) {
    args += ' ';
    args += std::to_string(w);
    args += ' ';
    args += std::to_string(h);
  }
  ASSERT_TRUE(make_fixture("resize", dir, args));
  auto input = read_image(source);
  ASSERT_TRUE(input.is_ok()) << input.status().to_string();
  ASSERT_EQ(input->channels(), 3);
  for (auto [w, h] : sizes) {
    for (ResampleFilter filter : {ResampleFilter::kLanczos, ResampleFilter::kBicubic, ResampleFilter::kNearest}) {
      std::string name = filter_name(filter);
      name += '_';
      name += std::to_string(w);
      name += 'x';
      name += std::to_string(h);
      auto expected = read_image(dir / (name + ".png"));
      ASSERT_TRUE(expected.is_ok()) << name;
      const Image ours = resize(*input, w, h, filter);
      ASSERT_EQ(ours.width(), w);
      ASSERT_EQ(ours.height(), h);
      int worst = 0;
      size_t off_by_one = 0;
      for (size_t i = 0; i < ours.sample_count(); ++i) {
        const int a = static_cast<int>(std::lround(ours.pixels()[i] * 255.0f));
        const int b = static_cast<int>(std::lround(expected->pixels()[i] * 255.0f));
        worst = std::max(worst, std::abs(a - b));
        off_by_one += a != b;
      }
      EXPECT_LE(worst, 1) << name;
      if (filter == ResampleFilter::kNearest) {
        EXPECT_EQ(off_by_one, 0u) << name;
      }
      // PIL rounds its intermediate pass to 8 bits, so ties flip often; a shifted or wrongly
      // weighted kernel would differ on most samples.
      EXPECT_LT(off_by_one, ours.sample_count() * 3 / 10) << name;
    }
  }
}

TEST(Resample, ConstantImageStaysConstant) {
  Image image(13, 7, 3);
  for (size_t i = 0; i < image.sample_count(); ++i) image.pixels()[i] = 0.25f + 0.25f * (i % 3);
  for (ResampleFilter filter : {ResampleFilter::kLanczos, ResampleFilter::kBicubic, ResampleFilter::kNearest}) {
    for (auto [w, h] : std::vector<std::pair<int, int>>{{52, 28}, {5, 3}, {13, 20}, {1, 1}}) {
      const Image out = resize(image, w, h, filter);
      ASSERT_EQ(out.width(), w);
      ASSERT_EQ(out.height(), h);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          for (int c = 0; c < 3; ++c) ASSERT_NEAR(out.at(x, y, c), 0.25f + 0.25f * c, 1e-5f) << filter_name(filter);
    }
  }
}

TEST(Resample, OvershootIsClampedAndAlphaIsResampledOnItsOwn) {
  Image image(8, 8, 4);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      for (int c = 0; c < 3; ++c) image.at(x, y, c) = x < 4 ? 0.0f : 1.0f;  // a hard edge rings
      image.at(x, y, 3) = y < 4 ? 1.0f : 0.0f;                            // alpha edge on the other axis
    }
  image.metadata.bits_per_sample = 16;
  image.metadata.set_text("parameters", "kept");
  const Image out = resize(image, 32, 32, ResampleFilter::kLanczos);
  for (size_t i = 0; i < out.sample_count(); ++i) {
    ASSERT_GE(out.pixels()[i], 0.0f);
    ASSERT_LE(out.pixels()[i], 1.0f);
  }
  // Colour changes only along x, alpha only along y: neither leaks into the other.
  EXPECT_EQ(out.at(3, 0, 0), out.at(3, 31, 0));
  EXPECT_EQ(out.at(0, 20, 3), out.at(31, 20, 3));
  EXPECT_GT(out.at(0, 0, 3), 0.99f);
  EXPECT_LT(out.at(0, 31, 3), 0.01f);
  EXPECT_EQ(out.metadata.bits_per_sample, 16);
  ASSERT_NE(out.metadata.find_text("parameters"), nullptr);
}

TEST(Resample, NearestPicksFloorOfTheCentreAsPilDoes) {
  Image image(4, 1, 1);
  for (int x = 0; x < 4; ++x) image.at(x, 0, 0) = x / 3.0f;
  const Image up = resize(image, 8, 1, ResampleFilter::kNearest);
  for (int x = 0; x < 8; ++x) EXPECT_EQ(up.at(x, 0, 0), image.at(x / 2, 0, 0));
  const Image down = resize(image, 2, 1, ResampleFilter::kNearest);  // centres 1.0 and 3.0
  EXPECT_EQ(down.at(0, 0, 0), image.at(1, 0, 0));
  EXPECT_EQ(down.at(1, 0, 0), image.at(3, 0, 0));
  // 512 -> 768: pixel 4's centre is 3 exactly on paper; PIL's accumulated coordinate picks 2.
  Image wide(512, 1, 1);
  for (int x = 0; x < 512; ++x) wide.at(x, 0, 0) = x / 511.0f;
  EXPECT_EQ(resize(wide, 768, 1, ResampleFilter::kNearest).at(4, 0, 0), wide.at(2, 0, 0));
}

}  // namespace
}  // namespace upres::image
