// Runs the real `upres outpaint` (and `upscale --fit outpaint`) the way users do.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/file_io.h"
#include "image/image_codec.h"
#include "test_folder.h"
#include "test_pictures.h"
#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;

using cli_testing::CommandRun;
using cli_testing::run_upres;
using cli_testing::write_png_file;

image::Image make_picture(int width, int height, int channels, int bits) {
  const int max_value = bits == 16 ? 65535 : 255;
  image::Image picture = cli_testing::picture_from(width, height, channels, [&](int x, int y, int c) {
    return static_cast<float>((x * 7919 + y * 104729 + c * 15485863) % (max_value + 1)) / max_value;
  });
  picture.metadata.bits_per_sample = bits;
  return picture;
}

// The output's window at (left, top) has exactly the input's samples.
void expect_original_kept(const image::Image& input, const image::Image& output, int left, int top) {
  ASSERT_EQ(output.channels(), input.channels());
  ASSERT_EQ(output.metadata.bits_per_sample, input.metadata.bits_per_sample);
  for (int y = 0; y < input.height(); ++y)
    for (int x = 0; x < input.width(); ++x)
      for (int c = 0; c < input.channels(); ++c)
        ASSERT_EQ(output.at(left + x, top + y, c), input.at(x, y, c)) << x << "," << y << "," << c;
}

class OutpaintCommandTest : public ::testing::Test {
 protected:
  // --fill lama downloads big-lama on first use: an empty mirror folder keeps these runs offline.
  void SetUp() override { setenv("UPRES_MODEL_MIRROR", ("file://" + (dir_.path() / "no-models").string()).c_str(), 1); }
  void TearDown() override { unsetenv("UPRES_MODEL_MIRROR"); }
  std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }
  upres::testing::TestFolder dir_;
  fs::path out_ = dir_.path() / "out";
};

TEST_F(OutpaintCommandTest, SixteenBitAlphaPictureKeepsItsPixelsAndGetsTheInfotext) {
  const image::Image input = make_picture(40, 30, 4, 16);
  write_png_file(dir_.path() / "in.png", input);
  CommandRun run = run_upres("outpaint " + quoted(dir_.path() / "in.png") + " --aspect 16:9 -o " + quoted(out_));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("00000.png"), std::string::npos) << run.output;
  auto result = image::read_image(out_ / "00000.png");
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->width(), 53);
  EXPECT_EQ(result->height(), 30);
  expect_original_kept(input, *result, 6, 0);
  ASSERT_NE(result->metadata.find_text("postprocessing"), nullptr);
  EXPECT_EQ(*result->metadata.find_text("postprocessing"),
            "Postprocess outpaint to: 53x30, Postprocess outpaint expand: \"6,0,7,0\", Postprocess outpaint fill: "
            "PatchMatch, Postprocess outpaint mask blur: 8, Postprocess outpaint seed: 0");
}

TEST_F(OutpaintCommandTest, EveryFillKeepsEightBitPixels) {
  const image::Image input = make_picture(24, 20, 3, 8);
  write_png_file(dir_.path() / "in.png", input);
  for (const char* fill : {"patchmatch", "edge", "mirror", "color"}) {
    const fs::path out = dir_.path() / fill;
    CommandRun run = run_upres("outpaint " + quoted(dir_.path() / "in.png") + " --expand 3,5,0,9 --fill " + fill +
                               " --mask-blur 4 --seed 3 -o " + quoted(out));
    ASSERT_EQ(run.exit_code, 0) << fill << "\n" << run.output;
    auto result = image::read_image(out / "00000.png");
    ASSERT_TRUE(result.is_ok());
    EXPECT_EQ(result->width(), 27);
    EXPECT_EQ(result->height(), 34);
    expect_original_kept(input, *result, 3, 5);
  }
}

TEST_F(OutpaintCommandTest, BatchKeepsStemsAndResumes) {
  fs::create_directories(dir_.path() / "in");
  write_png_file(dir_.path() / "in" / "wide.png", make_picture(32, 12, 3, 8));
  write_png_file(dir_.path() / "in" / "tall.png", make_picture(12, 31, 3, 8));
  const std::string args = "outpaint " + quoted(dir_.path() / "in") + " --to 40x40 --fill mirror -o " + quoted(out_);
  CommandRun run = run_upres(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("2 succeeded, 0 failed"), std::string::npos) << run.output;
  for (const char* name : {"wide.png", "tall.png"}) {
    auto result = image::read_image(out_ / name);
    ASSERT_TRUE(result.is_ok()) << name;
    EXPECT_EQ(result->width(), 40);
    EXPECT_EQ(result->height(), 40);
  }
  CommandRun resume = run_upres(args + " --skip-existing");
  EXPECT_NE(resume.output.find("0 succeeded, 0 failed, 2 skipped"), std::string::npos) << resume.output;
}

TEST_F(OutpaintCommandTest, BadAsksAreUsageErrorsAndWriteNothing) {
  write_png_file(dir_.path() / "in.png", make_picture(64, 48, 3, 8));
  write_png_file(dir_.path() / "small.png", make_picture(8, 8, 3, 8));
  const std::string in = quoted(dir_.path() / "in.png") + " " + quoted(dir_.path() / "small.png");
  struct Case { std::string args, expected; } cases[] = {
      {"", "--aspect A:B, --to WIDTHxHEIGHT or --expand"},
      {"--aspect 16x9", "--aspect: expected WIDTH:HEIGHT"},
      {"--aspect 0:9", "positive"},
      {"--to 32x32", "smaller than the picture (64x48)"},
      {"--to 64x40", "height"},
      {"--expand 0,0,0,0", "adds nothing"},
      {"--expand=-8,0,0,0", "negative"},
      {"--expand 8,8", "LEFT,TOP,RIGHT,BOTTOM"},
      {"--to 70000x70000", "65535"},
      {"--to 20000x20000", "over the limit of 268402689"},
      {"--expand 100 --max-pixels 5000", "over the limit of 5000"},
      {"--aspect 16:9 --directions up,down", "allows only up,down"},
      {"--aspect 16:9 --directions sideways", "sideways"},
      {"--aspect 16:9 --to 100x100", "only one of"},
      {"--expand 8 --directions left", "--directions"},
      {"--aspect 16:9 --fill lama", "big-lama.safetensors"},
      {"--aspect 16:9 --fill telea", "telea"},
      {"--aspect 16:9 --mask-blur -3", "--mask-blur"},
      {"--aspect 16:9 --color ff0000", "--color"},
      {"--aspect 16:9 --fill color --color red", "RRGGBB"},
  };
  for (const Case& c : cases) {
    CommandRun run = run_upres("outpaint " + in + " " + c.args + " -o " + quoted(out_));
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expected), std::string::npos) << c.args << "\n" << run.output;
    EXPECT_FALSE(fs::exists(out_)) << c.args;
  }
}

TEST_F(OutpaintCommandTest, UpscaleFitOutpaintScalesInsideThenExtends) {
  const image::Image input = make_picture(20, 20, 3, 8);
  write_png_file(dir_.path() / "in.png", input);
  CommandRun run = run_upres("upscale " + quoted(dir_.path() / "in.png") +
                             " --to 64x36 --fit outpaint --fill edge --mask-blur 2 -o " + quoted(out_));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto result = image::read_image(out_ / "00000.png");
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result->width(), 64);
  EXPECT_EQ(result->height(), 36);
  EXPECT_EQ(*result->metadata.find_text("postprocessing"),
            "Postprocess upscale to: 64x36, Postprocess outpaint to: 64x36, Postprocess outpaint expand: "
            "\"14,0,14,0\", Postprocess outpaint fill: Edge, Postprocess outpaint mask blur: 2, "
            "Postprocess upscaler: Lanczos");
  // Edge fill: the new columns repeat the scaled picture's outermost column.
  for (int y = 0; y < 36; ++y) EXPECT_EQ(result->at(0, y, 1), result->at(14, y, 1));
  struct Case { std::string args, expected; } cases[] = {
      {"--scale 2 --fit outpaint", "--fit needs --to"},
      {"--to 64x36 --fit stretch", "stretch"},
      {"--to 64x36 --fill mirror", "--fill needs --fit outpaint"},
      {"--to 64x36 --fit outpaint --crop", "disagree"},
      {"--to 64x36 --fit outpaint --fill lama", "big-lama.safetensors"},
  };
  for (const Case& c : cases) {
    CommandRun bad = run_upres("upscale " + quoted(dir_.path() / "in.png") + " " + c.args + " -o " +
                               quoted(dir_.path() / "bad"));
    EXPECT_EQ(bad.exit_code, 2) << c.args << "\n" << bad.output;
    EXPECT_NE(bad.output.find(c.expected), std::string::npos) << c.args << "\n" << bad.output;
    EXPECT_FALSE(fs::exists(dir_.path() / "bad")) << c.args;
  }
}

}  // namespace
}  // namespace upres
