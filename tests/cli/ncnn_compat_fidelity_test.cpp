// The ncnn-vulkan drop-in's pixels: the picture the original computes on a correct GPU. Real-ESRGAN
// pads 10 px by reflection before its graph and crops after, so the references run the model on the
// padded picture: upres's own `upscale` (>= 50 dB) and the independent PyTorch runner of ncnn
// graphs, tests/reference/ncnn_torch_reference.py (>= 50 dB). Real-CUGAN's padding is in upres's
// model already. TTA is checked by its symmetry; alpha by bicubic behaviour.
#include <gtest/gtest.h>

#include "model_test_support.h"
#include "ncnn_compat_support.h"
#include "test_folder.h"

namespace upres::cli_testing {
namespace {

class NcnnCompatFidelityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = fs::path(UPRES_SOURCE_DIR) / "models";
    if (!fs::exists(esrgan_x2()) || !fs::exists(cugan_x2()))
      GTEST_SKIP() << models_ << " lacks the ncnn models (run scripts/setup.d/models.sh)";
    fs::create_directories(dir() / "bin");
    fs::create_symlink(UPRES_BINARY, dir() / "bin/realesrgan-ncnn-vulkan");
    fs::create_symlink(UPRES_BINARY, dir() / "bin/realcugan-ncnn-vulkan");
    fs::create_directory_symlink(models_ / "RealCUGAN", dir() / "models-se");
  }
  const fs::path& dir() const { return folder_.path(); }
  fs::path esrgan_x2() const { return models_ / "RealESRGAN/realesr-animevideov3-x2.param"; }
  fs::path cugan_x2() const { return models_ / "RealCUGAN/up2x-conservative.param"; }
  // realesrgan-ncnn-vulkan -n realesr-animevideov3 -s 2 on `input`, into `output`.
  void esrgan(const std::string& input, const std::string& output, bool tta = false) {
    std::vector<std::string> args{"-i", input, "-o", output, "-m", (models_ / "RealESRGAN").string(),
                                  "-n", "realesr-animevideov3", "-s", "2"};
    if (tta) args.push_back("-x");
    ProcessRun run = run_process(dir() / "bin/realesrgan-ncnn-vulkan", args, dir());
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  void cugan(const std::string& input, const std::string& output) {
    ProcessRun run = run_process(dir() / "bin/realcugan-ncnn-vulkan", {"-i", input, "-o", output, "-m", "models-se"}, dir());
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  // `upres upscale` of `input` by 2 with the model at `param`, in fp32; the written picture.
  image::Image upscale(const std::string& input, const fs::path& param) {
    const fs::path out = dir() / ("upscaled-" + fs::path(input).stem().string() + param.stem().string());
    ProcessRun run = run_process(UPRES_BINARY, {"upscale", input, "--upscaler", param.string(), "--scale", "2",
                                                "--precision", "fp32", "-o", out.string()}, dir());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    for (const auto& entry : fs::directory_iterator(out))
      if (entry.path().extension() == ".png") return read(entry.path());
    ADD_FAILURE() << "no picture in " << out;
    return {};
  }
  image::Image read(const fs::path& path) {
    auto picture = image::read_image(path.is_absolute() ? path : dir() / path);
    EXPECT_TRUE(picture.is_ok()) << path << ": " << picture.status().message();
    return picture.is_ok() ? *picture : image::Image(1, 1, 3);
  }

  upres::testing::TestFolder folder_;
  fs::path models_;
};

TEST_F(NcnnCompatFidelityTest, MatchesUpresUpscaleOfTheSamePaddedPicture) {
  const image::Image picture = test_picture(32, 24, 3);
  write_picture(picture, dir() / "in.png");
  write_picture(reflect_padded(picture, 10), dir() / "padded.png");
  esrgan("in.png", "esrgan.png");
  const image::Image reference = upscale("padded.png", esrgan_x2());
  EXPECT_GE(colour_psnr(read("esrgan.png"), reference, 20, 20), 50.0);
  // Without the host's padding the borders differ: the check above can fail.
  EXPECT_LT(colour_psnr(read("esrgan.png"), upscale("in.png", esrgan_x2())), 50.0);
  cugan("in.png", "cugan.png");
  EXPECT_GE(colour_psnr(read("cugan.png"), upscale("in.png", cugan_x2())), 50.0);
}

TEST_F(NcnnCompatFidelityTest, MatchesThePyTorchRunnerOfTheNcnnGraphs) {
  const int size = 24, pad = 10;
  const image::Image picture = test_picture(size, size, 3, 7);
  write_picture(picture, dir() / "square.png");
  write_picture(reflect_padded(picture, pad), dir() / "padded.png");
  // One torch start: both models on the padded picture (Real-CUGAN's runner pads on its own).
  const fs::path torch = dir() / "torch";
  const int padded = size + 2 * pad;
  std::string message;
  const std::string args = "--batch " + torch.string() + " " + (dir() / "padded.png").string() + " 0 0 esrgan:" +
                           std::to_string(padded) + ":" + esrgan_x2().string() + " cugan:" + std::to_string(padded) +
                           ":" + cugan_x2().string() + " > " + (dir() / "torch.log").string() + " 2>&1";
  if (!models::testing::run_reference_script("ncnn_torch_reference.py", args, &message)) GTEST_SKIP() << message;
  auto expected = [&](const std::string& name, int side) {
    auto tensor = models::testing::read_f32_tensor(torch / name / "expected.f32", {3, side, side});
    EXPECT_TRUE(tensor.is_ok()) << tensor.status().message();
    image::Image out(side, side, 3);
    const float* planes = tensor->f32();
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) out.at(x, y, c) = planes[(static_cast<size_t>(c) * side + y) * side + x];
    return out;
  };
  esrgan("square.png", "esrgan.png");
  EXPECT_GE(colour_psnr(read("esrgan.png"), expected("esrgan", 2 * padded), 2 * pad, 2 * pad), 50.0);
  cugan("padded.png", "cugan.png");
  EXPECT_GE(colour_psnr(read("cugan.png"), expected("cugan", 2 * padded)), 50.0);
}

// TTA averages the network over the 8 flips and transposes: the result of a mirrored picture is
// the mirrored result, which a single pass only approximates.
TEST_F(NcnnCompatFidelityTest, TtaResultFollowsMirroringOfThePicture) {
  const image::Image picture = test_picture(20, 16, 3, 5);
  image::Image mirrored(picture.width(), picture.height(), 3);
  for (int y = 0; y < picture.height(); ++y)
    for (int x = 0; x < picture.width(); ++x)
      for (int c = 0; c < 3; ++c) mirrored.at(picture.width() - 1 - x, y, c) = picture.at(x, y, c);
  write_picture(picture, dir() / "in.png");
  write_picture(mirrored, dir() / "mirrored.png");
  esrgan("in.png", "tta.png", true);
  esrgan("mirrored.png", "tta-mirrored.png", true);
  esrgan("in.png", "plain.png");
  esrgan("mirrored.png", "plain-mirrored.png");
  auto unmirror = [](const image::Image& in) {
    image::Image out(in.width(), in.height(), in.channels());
    for (int y = 0; y < in.height(); ++y)
      for (int x = 0; x < in.width(); ++x)
        for (int c = 0; c < in.channels(); ++c) out.at(in.width() - 1 - x, y, c) = in.at(x, y, c);
    return out;
  };
  const image::Image tta = read("tta.png"), plain = read("plain.png");
  const double tta_symmetry = colour_psnr(tta, unmirror(read("tta-mirrored.png")));
  const double plain_symmetry = colour_psnr(plain, unmirror(read("plain-mirrored.png")));
  EXPECT_GE(tta_symmetry, 55.0);
  EXPECT_GT(tta_symmetry, plain_symmetry + 3.0);
  const double tta_vs_plain = colour_psnr(tta, plain);
  EXPECT_LT(tta_vs_plain, 60.0);  // it did average something
  EXPECT_GT(tta_vs_plain, 28.0);  // and is still the same picture
}

// Alpha goes through ncnn's bicubic, not the network; the colour is the same as without alpha.
TEST_F(NcnnCompatFidelityTest, AlphaIsUpscaledBicubicallyBesideTheSameColour) {
  const image::Image rgba = test_picture(20, 16, 4, 9);  // alpha: a left-to-right ramp
  image::Image rgb(rgba.width(), rgba.height(), 3);
  for (int y = 0; y < rgba.height(); ++y)
    for (int x = 0; x < rgba.width(); ++x)
      for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = rgba.at(x, y, c);
  write_picture(rgba, dir() / "rgba.png");
  write_picture(rgb, dir() / "rgb.png");
  esrgan("rgba.png", "rgba-out.png");
  esrgan("rgb.png", "rgb-out.png");
  const image::Image out = read("rgba-out.png");
  ASSERT_EQ(out.channels(), 4);
  EXPECT_GE(colour_psnr(read("rgb-out.png"), out), 100.0);
  for (int y = 0; y < out.height(); ++y) {
    EXPECT_NEAR(out.at(0, y, 3), 0.0f, 0.5f / 255);
    EXPECT_NEAR(out.at(out.width() - 1, y, 3), 1.0f, 0.5f / 255);
    for (int x = 1; x < out.width(); ++x) EXPECT_GE(out.at(x, y, 3), out.at(x - 1, y, 3)) << x << "," << y;
  }
  // Bicubic interpolation of a ramp is the ramp: pixel 2k+1 sits at input position k + 0.25.
  for (int k = 1; k + 2 < rgba.width(); ++k)  // taps k-1..k+2 inside the picture
    EXPECT_NEAR(out.at(2 * k + 1, 5, 3), 0.75f * rgba.at(k, 2, 3) + 0.25f * rgba.at(k + 1, 2, 3), 1.0f / 255) << k;
}

}  // namespace
}  // namespace upres::cli_testing
