// load_upscale_model: routing by file kind (.param and .bin to the ncnn graph model, torch files
// to the architecture registry) and errors for missing or foreign files.
#include "models/upscale_model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace upres::models {
namespace {

namespace fs = std::filesystem;

fs::path real_esrgan_models() {
  return fs::path(UPRES_SOURCE_DIR) / ".cache/npm/waifu2x-1.6.5/package/real-esrgan/models";
}

TEST(LoadUpscaleModel, NcnnParamAndBinPathsGiveTheNcnnGraphModel) {
  const fs::path param = real_esrgan_models() / "realesr-animevideov3-x4.param";
  if (!fs::exists(param)) GTEST_SKIP() << param << " absent";
  for (const fs::path& path : {param, fs::path(param).replace_extension(".bin")}) {
    SCOPED_TRACE(path.string());
    auto model = load_upscale_model(path);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->architecture(), "ncnn graph");
    EXPECT_EQ((*model)->scale(), 4);
  }
}

TEST(LoadUpscaleModel, MissingFileIsAnError) {
  auto model = load_upscale_model(fs::path(UPRES_TEST_OUTPUT_DIR) / "no-such-model.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("no-such-model.pth"), std::string::npos) << model.status().to_string();
}

TEST(LoadUpscaleModel, ATextFileIsNotAModel) {
  const fs::path path = fs::path(UPRES_TEST_OUTPUT_DIR) / "not-a-model.pth";
  std::ofstream(path) << "hello, this is not a checkpoint\n";
  auto model = load_upscale_model(path);
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().code(), StatusCode::kOk);
  EXPECT_NE(model.status().message().find("not-a-model.pth"), std::string::npos) << model.status().to_string();
}

}  // namespace
}  // namespace upres::models
