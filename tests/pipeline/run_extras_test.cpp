#include "pipeline/run_extras.h"

#include <gtest/gtest.h>

#include "pipeline/extras_options.h"

namespace upres::pipeline {
namespace {

image::Image gradient(int width, int height, int channels) {
  image::Image picture(width, height, channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        picture.at(x, y, c) = static_cast<float>((x * 7 + y * 13 + c * 50) % 256) / 255.0f;
  return picture;
}

ExtrasRequest scale_by(double scale, std::string upscaler = "Lanczos") {
  ExtrasRequest request = default_cli_request();
  request.scale = scale;
  request.upscaler_1 = std::move(upscaler);
  return request;
}

ExtrasRequest scale_to(int width, int height, bool crop) {
  ExtrasRequest request = default_cli_request();
  request.resize_mode = ResizeMode::kScaleTo;
  request.target_width = width;
  request.target_height = height;
  request.crop_to_fit = crop;
  return request;
}

struct SizeCase {
  int in_w, in_h;
  ExtrasRequest request;
  int out_w, out_h;
};

TEST(OutputSizeTest, EveryScaleAndBoxCombination) {
  const SizeCase cases[] = {
      {100, 50, scale_by(4), 400, 200},
      {101, 33, scale_by(2.5), 253, 83},           // 252.5 rounds up, 82.5 rounds up
      {1600, 800, scale_by(1.15), 1840, 920},      // no pixel lost to float error
      {100, 50, scale_by(1), 100, 50},
      {10, 10, scale_by(16), 160, 160},
      {100, 50, scale_to(512, 512, false), 1024, 512},  // covers the box, aspect kept
      {100, 50, scale_to(512, 512, true), 512, 512},    // then cut to exactly the box
      {300, 200, scale_to(1001, 999, true), 1001, 999},
      {300, 200, scale_to(1001, 999, false), 1499, 999},
      {640, 360, scale_to(1000, 1004, true), 1000, 1004},
      {640, 360, scale_to(1000, 1004, false), 1785, 1004},
      {200, 100, scale_to(100, 100, true), 100, 100},   // "to" may shrink one side
  };
  for (const SizeCase& c : cases) {
    OutputSize size = compute_output_size(c.in_w, c.in_h, c.request);
    EXPECT_EQ(size.final_width, c.out_w) << c.in_w << "x" << c.in_h;
    EXPECT_EQ(size.final_height, c.out_h) << c.in_w << "x" << c.in_h;
    EXPECT_GE(size.upscaled_width, size.final_width);
    EXPECT_GE(size.upscaled_height, size.final_height);
  }
}

class RunExtrasTest : public ::testing::Test {
 protected:
  Result<ExtrasResult> run(const image::Image& input, const ExtrasRequest& request) {
    return run_extras(input, request, *registry_, progress_);
  }
  std::shared_ptr<UpscalerRegistry> registry_ = UpscalerRegistry::with_classical_upscalers();
  Progress progress_;
};

TEST_F(RunExtrasTest, ScaleByProducesSizeAndInfotext) {
  auto result = run(gradient(40, 30, 3), scale_by(4));
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->image.width(), 160);
  EXPECT_EQ(result->image.height(), 120);
  EXPECT_EQ(result->infotext, "Postprocess upscale by: 4, Postprocess upscaler: Lanczos");
  EXPECT_EQ(*result->image.metadata.find_text("postprocessing"), result->infotext);
  EXPECT_EQ(*result->image.metadata.find_text("extras"), result->infotext);
}

// Factors up to the option table's 32767 are accepted, so a result no picture can hold is refused,
// naming its size, before anything is allocated; a factor past 16 that fits still runs.
TEST_F(RunExtrasTest, ResultsPastTheSizeLimitAreRefusedBeforeAllocating) {
  for (double scale : {16384.0, 32767.0}) {
    auto result = run(gradient(8, 4, 3), scale_by(scale));
    ASSERT_FALSE(result.is_ok()) << scale;
    EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted) << scale;
    EXPECT_NE(result.status().message().find("scale: the result would be "), std::string::npos)
        << result.status().to_string();
  }
  auto huge_box = run(gradient(8, 4, 3), scale_to(65535, 65535, /*crop=*/true));  // 4 Gpx
  ASSERT_FALSE(huge_box.is_ok());
  EXPECT_NE(huge_box.status().message().find("target size: the result would be 131070x65535"), std::string::npos)
      << huge_box.status().to_string();
  auto fits = run(gradient(2, 1, 3), scale_by(20));
  ASSERT_TRUE(fits.is_ok()) << fits.status().to_string();
  EXPECT_EQ(fits->image.width(), 40);
}

TEST_F(RunExtrasTest, SecondUpscalerAndCropInReferenceKeyOrder) {
  ExtrasRequest request = scale_to(64, 48, true);
  request.upscaler_2 = "Nearest";
  request.upscaler_2_visibility = 0.3;
  auto result = run(gradient(20, 10, 4), request);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->image.width(), 64);
  EXPECT_EQ(result->image.height(), 48);
  EXPECT_EQ(result->image.channels(), 4);  // alpha kept through crop and blend
  EXPECT_EQ(result->infotext,
            "Postprocess upscale to: 64x48, Postprocess crop to: 64x48, "
            "Postprocess upscaler: Lanczos, Postprocess upscaler 2: Nearest");
}

TEST_F(RunExtrasTest, VisibilityBlendsTheTwoUpscalers) {
  image::Image input = gradient(16, 16, 3);
  ExtrasRequest lanczos = scale_by(2), nearest = scale_by(2, "Nearest"), mixed = scale_by(2);
  mixed.upscaler_2 = "Nearest";
  mixed.upscaler_2_visibility = 0.25;
  auto a = run(input, lanczos), b = run(input, nearest), m = run(input, mixed);
  ASSERT_TRUE(a.is_ok() && b.is_ok() && m.is_ok());
  for (size_t i = 0; i < m->image.sample_count(); ++i)
    ASSERT_NEAR(m->image.pixels()[i], 0.75f * a->image.pixels()[i] + 0.25f * b->image.pixels()[i], 1e-6);
}

TEST_F(RunExtrasTest, NoneLeavesThePictureAndWritesNoInfotext) {
  image::Image input = gradient(16, 8, 1);
  input.metadata.set_text("parameters", "a cat, Steps: 20");
  auto result = run(input, scale_by(4, "None"));
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result->image.width(), 16);
  EXPECT_EQ(result->infotext, "");
  EXPECT_EQ(*result->image.metadata.find_text("parameters"), "a cat, Steps: 20");
}

TEST_F(RunExtrasTest, SourceParametersAreKeptBesideTheInfotext) {
  image::Image input = gradient(8, 8, 3);
  input.metadata.set_text("parameters", "a cat");
  auto result = run(input, scale_by(2));
  ASSERT_TRUE(result.is_ok());
  ASSERT_EQ(result->image.metadata.text.size(), 3u);
  EXPECT_EQ(result->image.metadata.text[0].first, "parameters");
  EXPECT_EQ(result->image.metadata.text[1].first, "postprocessing");
  EXPECT_EQ(result->image.metadata.text[2].first, "extras");
}

TEST_F(RunExtrasTest, UnknownUpscalerIsNotFoundWithTheChoices) {
  auto result = run(gradient(8, 8, 3), scale_by(2, "R-ESRGAN 9x"));
  ASSERT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find("R-ESRGAN 9x"), std::string::npos);
  EXPECT_NE(result.status().message().find("Lanczos"), std::string::npos);
}

TEST_F(RunExtrasTest, FaceRestorationIsRefusedNamingTheField) {
  ExtrasRequest request = scale_by(2);
  request.codeformer_visibility = 0.5;
  auto result = run(gradient(8, 8, 3), request);
  ASSERT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message().rfind("codeformer_visibility: ", 0), 0u);
}

TEST_F(RunExtrasTest, CancelledProgressStopsTheRun) {
  progress_.cancel();
  EXPECT_EQ(run(gradient(8, 8, 3), scale_by(2)).status().code(), StatusCode::kCancelled);
}

TEST(UpscalerRegistryTest, ListsPinnedNamesFirstThenByName) {
  auto registry = UpscalerRegistry::with_classical_upscalers();
  registry->add({"ESRGAN_4x", "x.pth", 4, false}, nullptr);
  std::vector<std::string> names;
  for (const auto& entry : registry->entries()) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"None", "Lanczos", "Nearest", "Bicubic", "ESRGAN_4x"}));
}

}  // namespace
}  // namespace upres::pipeline
