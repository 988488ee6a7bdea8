// `upres upscale` with face restoration, run as users run it: bad face-model options are usage
// errors naming the option, and a run with a (random-weight) GFPGAN file and the real RetinaFace
// MobileNet detector from tests/data records the visibility in the infotext and runs in the
// precision --precision asks for.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "model_test_support.h"
#include "image/image_codec.h"
#include "test_folder.h"
#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;

const fs::path kTestData = UPRES_TEST_DATA_DIR;
const fs::path kDetector = kTestData / "models/retinaface/detection_mobilenet0.25_Final.pth";
const fs::path kPortrait = kTestData / "images/faces/portrait.jpg";

using cli_testing::CommandRun;
using cli_testing::quoted;
using cli_testing::run_upres;

class FaceOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kDetector) || !fs::exists(kPortrait)) GTEST_SKIP() << "tests/data is incomplete";
  }
  upres::testing::TestFolder dir_;
  fs::path out_ = dir_.path() / "out";
};

TEST_F(FaceOptionsTest, MissingOrWrongFaceModelsAreUsageErrorsNamingTheOption) {
  const std::string base = "upscale " + quoted(kPortrait) + " --scale 1 --upscaler None -o " + quoted(out_) +
                           " --models " + quoted(dir_.path() / "models") + " --face-detector " + quoted(kDetector);
  CommandRun unknown = run_upres(base + " --gfpgan 1 --gfpgan-model NoSuchRestorer");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("--gfpgan-model"), std::string::npos) << unknown.output;

  CommandRun detector_as_restorer = run_upres(base + " --codeformer 1 --codeformer-model " + quoted(kDetector));
  EXPECT_EQ(detector_as_restorer.exit_code, 2) << detector_as_restorer.output;
  EXPECT_NE(detector_as_restorer.output.find("not a GFPGAN or CodeFormer model"), std::string::npos)
      << detector_as_restorer.output;
  EXPECT_FALSE(fs::exists(out_ / "00000.png"));
}

TEST_F(FaceOptionsTest, GfpganRunRecordsItsVisibility) {
  auto fixtures = models::testing::ensure_fixtures("gfpgan_torch.py", "gfpgan_fixtures");
  if (!fixtures.is_ok()) GTEST_SKIP() << fixtures.status().message();
  CommandRun run = run_upres("upscale " + quoted(kPortrait) + " --scale 1 --upscaler None --gfpgan 0.75 "
                             "--gfpgan-model " + quoted(*fixtures / "gfpgan512_narrow16.pth") +
                             " --face-detector " + quoted(kDetector) + " --only-center-face -o " + quoted(out_));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto result = image::read_image(out_ / "00000.png");
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  const std::string* info = result->metadata.find_text("postprocessing");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(*info, "GFPGAN visibility: 0.75");
  auto original = image::read_image(kPortrait);
  ASSERT_TRUE(original.is_ok());
  ASSERT_EQ(result->width(), original->width());
  double total_change = 0;
  for (size_t i = 0; i < original->sample_count(); ++i) total_change += std::abs(result->pixels()[i] - original->pixels()[i]);
  EXPECT_GT(total_change, 100.0);  // the face really changed
}

// --precision reaches the face restorer: bf16 restores differently from fp32 (or, on a CPU without
// avx512_bf16, fails naming bfloat16), and auto gives what `upres info --cpu` says auto runs
// GFPGAN in, byte for byte.
TEST_F(FaceOptionsTest, PrecisionAppliesToTheFaceRestorer) {
  auto fixtures = models::testing::ensure_fixtures("gfpgan_torch.py", "gfpgan_fixtures");
  if (!fixtures.is_ok()) GTEST_SKIP() << fixtures.status().message();
  const auto restore_in = [&](const std::string& precision) {
    const fs::path out = dir_.path() / precision;
    CommandRun run = run_upres("upscale " + quoted(kPortrait) + " --scale 1 --upscaler None --gfpgan 1 --gfpgan-model " +
                               quoted(*fixtures / "gfpgan512_narrow16.pth") + " --face-detector " +
                               quoted(kDetector) + " --precision " + precision + " -o " + quoted(out));
    return std::make_pair(run, out / "00000.png");
  };
  const auto pixels_of = [](const fs::path& file) {
    auto picture = image::read_image(file);
    EXPECT_TRUE(picture.is_ok()) << picture.status().to_string();
    return picture.is_ok() ? std::vector<float>(picture->pixels(), picture->pixels() + picture->sample_count())
                           : std::vector<float>();
  };
  auto [fp32, fp32_file] = restore_in("fp32");
  ASSERT_EQ(fp32.exit_code, 0) << fp32.output;
  auto [bf16, bf16_file] = restore_in("bf16");
  if (bf16.exit_code == 0) {
    EXPECT_NE(pixels_of(bf16_file), pixels_of(fp32_file)) << "--precision bf16 did not reach GFPGAN";
  } else {
    EXPECT_NE(bf16.output.find("bfloat16"), std::string::npos) << bf16.output;
    EXPECT_FALSE(fs::exists(bf16_file));
  }
  const CommandRun info = run_upres("info --cpu");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  const size_t line = info.output.find("precision auto, faces: GFPGAN ");
  ASSERT_NE(line, std::string::npos) << info.output;
  const std::string auto_runs = info.output.substr(line + 30, 4);
  ASSERT_TRUE(auto_runs == "fp32" || auto_runs == "bf16") << info.output;
  auto [automatic, automatic_file] = restore_in("auto");
  ASSERT_EQ(automatic.exit_code, 0) << automatic.output;
  EXPECT_EQ(pixels_of(automatic_file), pixels_of(auto_runs == "bf16" ? bf16_file : fp32_file));
}

}  // namespace
}  // namespace upres
