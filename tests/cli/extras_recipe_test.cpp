// The reference UI's best-known Extras recipe, ESRGAN_4x as Upscaler 1 and SwinIR_4x as Upscaler 2 at
// visibility 0.5, with both files where the reference UI keeps its downloads: the infotext is the
// reference's byte for byte, and each name the reference offers ("SwinIR 4x" before download,
// "SwinIR_4x" after) runs and is recorded as given.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "base/file_io.h"
#include "image/image_codec.h"
#include "model_test_support.h"
#include "test_folder.h"
#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;

using cli_testing::CommandRun;
using cli_testing::run_upres;

using cli_testing::quoted;

class ExtrasRecipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = models::testing::ensure_fixtures("recipe_models.py", "recipe_models");
    if (!dir.is_ok()) GTEST_SKIP() << dir.status().message();
    models_ = *dir / "models";
    image::Image picture(14, 10, 3);
    for (int y = 0; y < 10; ++y)
      for (int x = 0; x < 14; ++x)
        for (int c = 0; c < 3; ++c) picture.at(x, y, c) = ((x * 37 + y * 11 + c * 70) % 256) / 255.0f;
    ASSERT_TRUE(write_file_atomic(input_, image::encode_image(picture, {}).value()).is_ok());
  }

  // The infotext of the picture `upres upscale` writes with `options`.
  std::string infotext_of_run(const std::string& options) {
    const fs::path out = folder_.path() / "out";
    fs::remove_all(out);
    CommandRun run = run_upres("upscale " + quoted(input_) + " " + options + " --models " + quoted(models_) +
                               " -o " + quoted(out));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    auto result = image::read_image(out / "00000.png");
    if (!result.is_ok()) return "(no picture: " + run.output + ")";
    EXPECT_EQ(result->width(), 56);
    const std::string* infotext = result->metadata.find_text("postprocessing");
    return infotext ? *infotext : "(no infotext)";
  }

  upres::testing::TestFolder folder_;
  fs::path input_ = folder_.path() / "photo.png";
  fs::path models_;
};

TEST_F(ExtrasRecipeTest, EsrganWithSwinIRAtHalfVisibilityWritesTheReferenceInfotext) {
  EXPECT_EQ(infotext_of_run("--scale 4 --upscaler ESRGAN_4x --upscaler2 SwinIR_4x --visibility2 0.5"),
            "Postprocess upscale by: 4, Postprocess upscaler: ESRGAN_4x, Postprocess upscaler 2: SwinIR_4x");
}

TEST_F(ExtrasRecipeTest, TheCatalogNameRunsTheSameFileAndIsRecordedAsGiven) {
  EXPECT_EQ(infotext_of_run("--scale 4 --upscaler 'SwinIR 4x'"),
            "Postprocess upscale by: 4, Postprocess upscaler: SwinIR 4x");
}

}  // namespace
}  // namespace upres
