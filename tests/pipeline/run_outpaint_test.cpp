#include "pipeline/run_outpaint.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace upres::pipeline {
namespace {

const OutpaintOption& option(std::string_view flag) {
  for (const OutpaintOption& o : outpaint_options())
    if (o.cli_flag == flag) return o;
  ADD_FAILURE() << "no option " << flag;
  return outpaint_options()[0];
}

TEST(OutpaintRequest, OptionsParseAndValidate) {
  OutpaintRequest request;
  EXPECT_FALSE(request.validate().is_ok());
  ASSERT_TRUE(set_outpaint_option(request, option("--aspect"), "21:9").is_ok());
  ASSERT_TRUE(set_outpaint_option(request, option("--fill"), "mirror").is_ok());
  ASSERT_TRUE(set_outpaint_option(request, option("--mask-blur"), "12").is_ok());
  ASSERT_TRUE(set_outpaint_option(request, option("--seed"), "42").is_ok());
  ASSERT_TRUE(set_outpaint_option(request, option("--directions"), "left").is_ok());
  EXPECT_TRUE(request.validate().is_ok());
  EXPECT_EQ(request.fill.engine, outpaint::FillEngine::kMirror);
  EXPECT_EQ(request.fill.mask_blur_px, 12);
  EXPECT_EQ(request.fill.seed, 42u);
  EXPECT_EQ(request.canvas.directions, unsigned{outpaint::kLeft});
  ASSERT_TRUE(set_outpaint_option(request, option("--expand"), "4").is_ok());
  EXPECT_NE(request.validate().message().find("only one of"), std::string::npos);
  Status bad = set_outpaint_option(request, option("--mask-blur"), "999");
  EXPECT_NE(bad.message().find("--mask-blur: 999 is out of range"), std::string::npos) << bad.message();
  bad = set_outpaint_option(request, option("--aspect"), "wide");
  EXPECT_EQ(bad.message().find("--aspect: expected WIDTH:HEIGHT"), 0u) << bad.message();
}

TEST(RunOutpaint, WritesThePictureAndTheInfotextInOrder) {
  image::Image input(30, 20, 3);
  for (size_t i = 0; i < input.sample_count(); ++i) input.pixels()[i] = (i % 7) / 7.0f;
  input.metadata.set_text("parameters", "a prompt");
  OutpaintRequest request;
  ASSERT_TRUE(set_outpaint_option(request, option("--to"), "41x25").is_ok());
  Progress progress;
  auto result = run_outpaint(input, request, progress);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->image.width(), 41);
  EXPECT_EQ(result->image.height(), 25);
  EXPECT_EQ(result->infotext,
            "Postprocess outpaint to: 41x25, Postprocess outpaint expand: \"5,2,6,3\", Postprocess outpaint fill: "
            "PatchMatch, Postprocess outpaint mask blur: 8, Postprocess outpaint seed: 0");
  EXPECT_EQ(*result->image.metadata.find_text("parameters"), "a prompt");
  EXPECT_EQ(*result->image.metadata.find_text("postprocessing"), result->infotext);
  // LaMa without its weights, offline (an empty mirror folder): the error names the file to get.
  ASSERT_TRUE(set_outpaint_option(request, option("--fill"), "lama").is_ok());
  setenv("UPRES_MODEL_MIRROR", "file:///nonexistent-upres-mirror", 1);
  auto lama = run_outpaint(input, request, progress);
  unsetenv("UPRES_MODEL_MIRROR");
  ASSERT_FALSE(lama.is_ok());
  EXPECT_EQ(lama.status().code(), StatusCode::kNotFound) << lama.status().to_string();
  EXPECT_NE(lama.status().message().find("LaMa/big-lama.safetensors"), std::string::npos) << lama.status().to_string();
}

TEST(RunOutpaint, FitOutpaintSizesFitInsideTheBox) {
  ExtrasRequest request;
  request.resize_mode = ResizeMode::kScaleTo;
  request.target_width = 3840;
  request.target_height = 2160;
  request.outpaint_to_fit = true;
  OutputSize size = compute_output_size(1024, 768, request);
  EXPECT_EQ(size.upscaled_width, 2880);
  EXPECT_EQ(size.upscaled_height, 2160);
  EXPECT_EQ(size.final_width, 3840);
  EXPECT_EQ(size.final_height, 2160);
  size = compute_output_size(1000, 200, request);
  EXPECT_EQ(size.upscaled_width, 3840);
  EXPECT_EQ(size.upscaled_height, 768);
}

}  // namespace
}  // namespace upres::pipeline
