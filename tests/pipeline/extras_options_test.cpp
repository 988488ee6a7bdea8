#include "pipeline/extras_options.h"

#include <gtest/gtest.h>

namespace upres::pipeline {
namespace {

TEST(ExtrasOptionsTest, DefaultsMatchTheReferenceApi) {
  ExtrasRequest api = default_api_request();
  EXPECT_EQ(api.resize_mode, ResizeMode::kScaleBy);
  EXPECT_EQ(api.scale, 2.0);
  EXPECT_EQ(api.target_width, 512);
  EXPECT_TRUE(api.crop_to_fit);
  EXPECT_EQ(api.upscaler_1, "None");
  EXPECT_TRUE(api.validate().is_ok());
  ExtrasRequest cli = default_cli_request();
  EXPECT_EQ(cli.scale, 4.0);
  EXPECT_FALSE(cli.crop_to_fit);
  EXPECT_EQ(cli.upscaler_1, "Lanczos");
  EXPECT_TRUE(cli.validate().is_ok());
}

TEST(ExtrasOptionsTest, EveryDefaultIsInsideItsRange) {
  for (const ExtrasOption& option : extras_options()) {
    if (option.kind == OptionKind::kUpscalerName || option.kind == OptionKind::kBool) continue;
    EXPECT_GE(option.cli_default, option.min_value) << option.json_name;
    EXPECT_LE(option.cli_default, option.max_value) << option.json_name;
    EXPECT_GE(option.api_default, option.min_value) << option.json_name;
    EXPECT_LE(option.api_default, option.max_value) << option.json_name;
  }
}

TEST(ExtrasOptionsTest, OutOfRangeNamesTheField) {
  ExtrasRequest request;
  Status status = set_extras_option(request, *find_extras_option("extras_upscaler_2_visibility"), 1.5);
  ASSERT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("extras_upscaler_2_visibility"), std::string::npos);
  EXPECT_EQ(request.upscaler_2_visibility, 0.0);
}

TEST(ExtrasOptionsTest, WrongKindsAreRefused) {
  ExtrasRequest request;
  EXPECT_FALSE(set_extras_option(request, *find_extras_option("upscaling_resize"), std::string("4")).is_ok());
  EXPECT_FALSE(set_extras_option(request, *find_extras_option("upscaling_resize_w"), 100.5).is_ok());
  EXPECT_FALSE(set_extras_option(request, *find_extras_option("upscaler_1"), 3.0).is_ok());
  EXPECT_FALSE(set_extras_option(request, *find_extras_option("resize_mode"), 2.0).is_ok());
  EXPECT_TRUE(set_extras_option(request, *find_extras_option("resize_mode"), 1.0).is_ok());
  EXPECT_EQ(request.resize_mode, ResizeMode::kScaleTo);
}

TEST(ExtrasOptionsTest, ValidateCatchesDirectlySetFields) {
  ExtrasRequest request;
  request.scale = 40;  // any factor, as the reference takes; the output pixel limit bounds it
  EXPECT_TRUE(request.validate().is_ok()) << request.validate().to_string();
  request.scale = 40000;  // past the bound that keeps picture sides within int
  EXPECT_NE(request.validate().message().find("upscaling_resize"), std::string::npos);
}

}  // namespace
}  // namespace upres::pipeline
