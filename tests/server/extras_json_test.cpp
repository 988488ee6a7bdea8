// Tests for server/extras_json.h: fields read through the option table, errors name the field.
#include "server/extras_json.h"

#include <gtest/gtest.h>

#include "pipeline/extras_options.h"

namespace upres::server {
namespace {

using nlohmann::json;

class ExtrasJsonTest : public ::testing::Test {
 protected:
  std::shared_ptr<pipeline::UpscalerRegistry> registry_ =
      pipeline::UpscalerRegistry::with_classical_upscalers();
  Result<pipeline::ExtrasRequest> parse(const json& body) {
    return parse_extras_options(body, pipeline::default_api_request(), *registry_);
  }
};

TEST_F(ExtrasJsonTest, AbsentAndNullFieldsKeepTheApiDefaults) {
  auto request = parse(json{{"upscaler_2", nullptr}, {"upscale_first", true}});
  ASSERT_TRUE(request.is_ok()) << request.status().to_string();
  EXPECT_EQ(request->scale, 2.0);  // the reference API's default, unlike the CLI's 4
  EXPECT_EQ(request->upscaler_1, "None");
  EXPECT_TRUE(request->crop_to_fit);
}

TEST_F(ExtrasJsonTest, ReadsEveryKindOfField) {
  auto request = parse({{"resize_mode", 1},
                        {"upscaling_resize_w", 640},
                        {"upscaling_resize_h", 360},
                        {"upscaling_crop", false},
                        {"upscaler_1", "Lanczos"},
                        {"upscaler_2", "Nearest"},
                        {"extras_upscaler_2_visibility", 0.25},
                        {"upscaling_resize", 3.5}});
  ASSERT_TRUE(request.is_ok()) << request.status().to_string();
  EXPECT_EQ(request->resize_mode, pipeline::ResizeMode::kScaleTo);
  EXPECT_EQ(request->target_width, 640);
  EXPECT_EQ(request->target_height, 360);
  EXPECT_FALSE(request->crop_to_fit);
  EXPECT_EQ(request->upscaler_1, "Lanczos");
  EXPECT_EQ(request->upscaler_2, "Nearest");
  EXPECT_EQ(request->upscaler_2_visibility, 0.25);
  EXPECT_EQ(request->scale, 3.5);
}

TEST_F(ExtrasJsonTest, ErrorsNameTheField) {
  struct Case {
    json body;
    const char* field;
  };
  const Case cases[] = {
      {{{"upscaler_1", "ESRGAN_9x"}}, "upscaler_1: unknown upscaler \"ESRGAN_9x\""},
      {{{"upscaler_2", 7}}, "upscaler_2: "},
      {{{"upscaling_resize", 1e6}}, "upscaling_resize: "},
      {{{"upscaling_resize", "4"}}, "upscaling_resize: "},
      {{{"gfpgan_visibility", -0.5}}, "gfpgan_visibility: "},
      {{{"upscaling_resize_w", 10.5}}, "upscaling_resize_w: "},
      {{{"upscaling_crop", "yes"}}, "upscaling_crop: "},
      {{{"resize_mode", 2}}, "resize_mode: "},
  };
  for (const Case& c : cases) {
    auto request = parse(c.body);
    ASSERT_FALSE(request.is_ok()) << c.body.dump();
    EXPECT_EQ(request.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(request.status().message().rfind(c.field, 0), 0u) << request.status().message();
  }
  EXPECT_FALSE(parse(json::array()).is_ok());
}

TEST_F(ExtrasJsonTest, OptionsJsonFollowsTheTable) {
  const json options = extras_options_json();
  ASSERT_EQ(options.size(), pipeline::extras_options().size());
  for (size_t i = 0; i < options.size(); ++i) {
    const auto& option = pipeline::extras_options()[i];
    EXPECT_EQ(options[i]["name"], option.json_name);
    EXPECT_EQ(options[i]["label"], option.label);
    if (option.kind == pipeline::OptionKind::kNumber) {
      EXPECT_EQ(options[i]["min"], option.min_value);
      EXPECT_EQ(options[i]["max"], option.max_value);
      EXPECT_EQ(options[i]["default"], option.cli_default);
    }
  }
}

}  // namespace
}  // namespace upres::server
