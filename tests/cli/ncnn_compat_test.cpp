// The ncnn-vulkan command-line drop-in (src/cli/ncnn_compat), driven as wrappers drive the
// originals: upres started through a symlink named like the tool, with argument arrays; stderr
// parsed for "NN.NN%" progress and "Error"/"failed"; outputs checked for size, format and names.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "image/image_codec.h"
#include "ncnn_compat_support.h"
#include "test_folder.h"

namespace upres::cli_testing {
namespace {

class NcnnCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = fs::path(UPRES_SOURCE_DIR) / "models";
    if (!fs::exists(models_ / "RealESRGAN/realesr-animevideov3-x2.param"))
      GTEST_SKIP() << models_ << " lacks the ncnn models (run scripts/setup.d/models.sh)";
    fs::create_directories(dir() / "bin");
    for (const char* tool : {"realesrgan-ncnn-vulkan", "realcugan-ncnn-vulkan", "waifu2x-ncnn-vulkan", "upscayl-bin"})
      fs::create_symlink(UPRES_BINARY, dir() / "bin" / tool);
    fs::create_directory_symlink(models_ / "RealCUGAN", dir() / "models-se");  // the name realcugan expects
    write_picture(test_picture(32, 24, 3), dir() / "in.png");
  }
  const fs::path& dir() const { return folder_.path(); }
  ProcessRun tool(const std::string& name, const std::vector<std::string>& args) {
    return run_process(dir() / "bin" / name, args, dir());
  }
  image::Image read(const fs::path& path) {
    auto picture = image::read_image(path);
    EXPECT_TRUE(picture.is_ok()) << path << ": " << picture.status().message();
    return picture.is_ok() ? *picture : image::Image();
  }
  std::string esrgan_models() const { return (models_ / "RealESRGAN").string(); }

  upres::testing::TestFolder folder_;
  fs::path models_;
};

TEST_F(NcnnCompatTest, RealEsrganWritesTheFileQuietlyWithPercentProgress) {
  ProcessRun run = tool("realesrgan-ncnn-vulkan",
                        {"-i", "in.png", "-o", "out.png", "-m", esrgan_models(), "-n", "realesr-animevideov3", "-s", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_FALSE(mentions_failure(run.err)) << run.err;
  std::vector<double> progress = progress_values(run.err);
  ASSERT_FALSE(progress.empty()) << run.err;
  EXPECT_EQ(progress.front(), 0.0);
  image::Image out = read(dir() / "out.png");
  EXPECT_EQ(out.width(), 64);
  EXPECT_EQ(out.height(), 48);
  EXPECT_EQ(out.channels(), 3);
}

TEST_F(NcnnCompatTest, AcceptsGpuTileAndThreadOptionsAndSaysOnceThatItUsesTheCpu) {
  write_picture(test_picture(40, 16, 3, 6), dir() / "small.png");
  ProcessRun run = tool("realesrgan-ncnn-vulkan", {"-i", "small.png", "-o", "out.webp", "-m", esrgan_models(), "-n",
                                                   "realesrgan-x4fast", "-g", "0,1", "-t", "32,0", "-j", "1:2,2:2", "-v"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  size_t first = run.err.find("CPU");
  ASSERT_NE(first, std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("CPU", first + 1), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("small.png -> out.webp done"), std::string::npos) << run.err;  // -v
  EXPECT_GT(progress_values(run.err).size(), 1u) << run.err;  // one line per tile: 40 px is 2 tiles of 32
  image::Image out = read(dir() / "out.webp");
  EXPECT_EQ(out.width(), 160);  // realesrgan's default -s 4
  // A 32 px tile forces several tiles: still the picture of one.
  ProcessRun whole = tool("realesrgan-ncnn-vulkan", {"-i", "small.png", "-o", "whole.png", "-m", esrgan_models(), "-n",
                                                     "realesrgan-x4fast"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_GE(colour_psnr(read(dir() / "whole.png"), out), 45.0);
}

// -j load:proc:save: proc is the worker thread count (the originals' CPU path, -g -1); without -j
// upres keeps every core. -v says which on one line.
TEST_F(NcnnCompatTest, ThreadOptionSetsTheWorkerThreadsWithoutChangingPixels) {
  const std::vector<std::string> common{"-i", "in.png", "-m", esrgan_models(), "-n", "realesr-animevideov3", "-s", "2", "-v"};
  auto run_with = [&](const std::string& output, std::vector<std::string> extra) {
    std::vector<std::string> args{"-o", output};
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return tool("realesrgan-ncnn-vulkan", args);
  };
  // The default's count is OpenMP's: all cores unless OMP_NUM_THREADS says otherwise.
  const char* omp = std::getenv("OMP_NUM_THREADS");
  const std::string saved_omp = omp != nullptr ? omp : "";
  ::unsetenv("OMP_NUM_THREADS");
  ProcessRun all = run_with("all.png", {});
  if (omp != nullptr) ::setenv("OMP_NUM_THREADS", saved_omp.c_str(), 1);
  ProcessRun one = run_with("one.png", {"-j", "1:1:1"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto thread_lines = [](const std::string& err) {
    std::vector<std::string> lines;
    std::istringstream text(err);
    for (std::string line; std::getline(text, line);)
      if (line.find("worker thread") != std::string::npos) lines.push_back(line);
    return lines;
  };
  EXPECT_EQ(thread_lines(one.err), std::vector<std::string>{"upres: 1 worker thread"}) << one.err;
  EXPECT_EQ(thread_lines(all.err),
            std::vector<std::string>{"upres: " + std::to_string(cores) + " worker thread" + (cores == 1 ? "" : "s")})
      << all.err;
  EXPECT_FALSE(mentions_failure(one.err)) << one.err;
  const image::Image a = read(dir() / "all.png"), b = read(dir() / "one.png");
  ASSERT_EQ(a.sample_count(), b.sample_count());
  ASSERT_GT(a.sample_count(), 0u);
  float max_diff = 0.0f;
  for (size_t i = 0; i < a.sample_count(); ++i) max_diff = std::max(max_diff, std::abs(a.pixels()[i] - b.pixels()[i]));
  EXPECT_EQ(max_diff, 0.0f);
  // More proc threads than cores: the originals take min(proc, cores).
  ProcessRun many = run_with("many.png", {"-j", "1:1000:1"});
  ASSERT_EQ(many.exit_code, 0) << many.err;
  EXPECT_EQ(thread_lines(many.err).size(), 1u) << many.err;
  EXPECT_NE(many.err.find("upres: " + std::to_string(cores) + " worker thread"), std::string::npos) << many.err;
  // Bad -j values fail as before: no colon, a zero count, a proc list longer than the GPU list.
  const std::vector<std::string> bad_values{"2", "0:2:2", "1:0:2", "1:2:0", "1:2,2:2", "1:-1:2"};
  for (size_t i = 0; i < bad_values.size(); ++i) {
    const std::string& bad = bad_values[i];
    const std::string output = "bad" + std::to_string(i) + ".png";
    ProcessRun run = run_with(output, {"-j", bad});
    EXPECT_NE(run.exit_code, 0) << "-j " << bad;
    EXPECT_TRUE(mentions_failure(run.err)) << "-j " << bad << "\n" << run.err;
    EXPECT_NE(run.err.find("thread count argument"), std::string::npos) << "-j " << bad << "\n" << run.err;
    EXPECT_FALSE(fs::exists(dir() / output)) << "-j " << bad;
  }
}

TEST_F(NcnnCompatTest, RealCuganAndWaifu2xNameTheirModelsLikeTheOriginals) {
  ProcessRun cugan = tool("realcugan-ncnn-vulkan", {"-i", "in.png", "-o", "cugan.jpg", "-m", "models-se", "-c", "2"});
  ASSERT_EQ(cugan.exit_code, 0) << cugan.err;  // default -n -1 -s 2: up2x-conservative
  image::Image out = read(dir() / "cugan.jpg");
  EXPECT_EQ(out.width(), 64);
  const fs::path cunet = models_ / "waifu2x/models-cunet";
  ProcessRun waifu = tool("waifu2x-ncnn-vulkan", {"-i", "in.png", "-o", "w.png", "-n", "-1", "-s", "4", "-m", cunet.string()});
  ASSERT_EQ(waifu.exit_code, 0) << waifu.err;  // 4x: the 2x model twice
  EXPECT_EQ(read(dir() / "w.png").width(), 128);
  // waifu2x's default noise 0 names noise0_scale2.0x_model, which setup does not install.
  ProcessRun missing = tool("waifu2x-ncnn-vulkan", {"-i", "in.png", "-o", "w0.png", "-m", cunet.string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("noise0_scale2.0x_model.param"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(dir() / "w0.png"));
}

TEST_F(NcnnCompatTest, FoldersKeepStemsTakeTheFormatAndGrowAlphaPicturesAsPng) {
  fs::create_directories(dir() / "pictures");
  fs::create_directories(dir() / "results");
  write_picture(test_picture(20, 16, 3, 2), dir() / "pictures/a.png");
  write_picture(test_picture(20, 16, 3, 3), dir() / "pictures/a.jpg");  // sorts first: a.webp; a.png.webp
  write_picture(test_picture(16, 20, 4, 4), dir() / "pictures/b.png");
  ProcessRun run = tool("realesrgan-ncnn-vulkan", {"-i", "pictures", "-o", "results", "-f", "webp", "-s", "2", "-n",
                                                   "realesr-animevideov3", "-m", esrgan_models()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir() / "results/a.webp"));
  EXPECT_TRUE(fs::exists(dir() / "results/a.png.webp"));
  image::Image b = read(dir() / "results/b.webp");
  EXPECT_EQ(b.width(), 32);
  EXPECT_EQ(b.height(), 40);
  EXPECT_EQ(b.channels(), 4);
  // A JPEG output cannot hold alpha: the original writes <name>.jpg.png and says so.
  ProcessRun jpg = tool("realesrgan-ncnn-vulkan", {"-i", "pictures/b.png", "-o", "b.jpg", "-s", "2", "-m", esrgan_models()});
  ASSERT_EQ(jpg.exit_code, 0) << jpg.err;
  EXPECT_NE(jpg.err.find("has alpha channel"), std::string::npos);
  EXPECT_EQ(read(dir() / "b.jpg.png").channels(), 4);
  EXPECT_FALSE(fs::exists(dir() / "b.jpg"));
}

TEST_F(NcnnCompatTest, ModelsAreFoundBesideTheSymlinkAndThroughTheSubcommand) {
  fs::create_directory_symlink(models_ / "RealESRGAN", dir() / "bin/models");
  fs::create_directories(dir() / "elsewhere");
  write_picture(test_picture(16, 16, 3), dir() / "elsewhere/in.png");
  // Default -m models, default -n realesr-animevideov3 (with -s 2: its -x2 file), cwd without models.
  ProcessRun run = run_process(dir() / "bin/realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "out.png", "-s", "2"},
                               dir() / "elsewhere");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(read(dir() / "elsewhere/out.png").width(), 32);
  ProcessRun sub = run_process(UPRES_BINARY, {"ncnn-cli", "realcugan-ncnn-vulkan", "-i", "in.png", "-o", "sub.png", "-m",
                                              "models-se", "-s", "3"}, dir());
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(read(dir() / "sub.png").width(), 96);
  ProcessRun unknown = run_process(UPRES_BINARY, {"ncnn-cli", "esrgan", "-i", "in.png"}, dir());
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(mentions_failure(unknown.err)) << unknown.err;
}

TEST_F(NcnnCompatTest, UpscaylBinScalesResizesAndCompressesAsUpscaylDoes) {
  const std::vector<std::string> model{"-m", esrgan_models(), "-n", "realesrgan-x4fast"};
  auto run_upscayl = [&](std::vector<std::string> args) {
    args.insert(args.end(), model.begin(), model.end());
    return tool("upscayl-bin", args);
  };
  ProcessRun scaled = run_upscayl({"-i", "in.png", "-o", "s2.png", "-s", "2", "-f", "png"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  EXPECT_EQ(read(dir() / "s2.png").width(), 64);  // the 4x model, resized to -s 2
  ProcessRun width = run_upscayl({"-i", "in.png", "-o", "w.jpg", "-w", "50", "-c", "40", "-f", "jpg"});
  ASSERT_EQ(width.exit_code, 0) << width.err;
  image::Image w = read(dir() / "w.jpg");
  EXPECT_EQ(w.width(), 50);
  EXPECT_EQ(w.height(), 24 * 50 / 32);
  ProcessRun resized = run_upscayl({"-i", "in.png", "-o", "r.webp", "-r", "40x30", "-f", "webp"});
  ASSERT_EQ(resized.exit_code, 0) << resized.err;
  EXPECT_EQ(read(dir() / "r.webp").height(), 30);
  // -z picks realesr-animevideov3's -x2 file.
  ProcessRun z = tool("upscayl-bin", {"-i", "in.png", "-o", "z.png", "-z", "2", "-n", "realesr-animevideov3", "-m",
                                      esrgan_models()});
  ASSERT_EQ(z.exit_code, 0) << z.err;
  EXPECT_EQ(read(dir() / "z.png").width(), 64);
  // The compression level changes the JPEG: -c 90 is quality 10.
  ProcessRun small = run_upscayl({"-i", "in.png", "-o", "c90.jpg", "-w", "50", "-c", "90", "-f", "jpg"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_LT(fs::file_size(dir() / "c90.jpg"), fs::file_size(dir() / "w.jpg"));
}

// Bad input: a line containing "Error" or "failed", a non-zero status, no output file, no hang.
TEST_F(NcnnCompatTest, BadInputFailsLikeTheOriginalsWithoutPartialFiles) {
  struct Case {
    std::string tool;
    std::vector<std::string> args;
    std::string output;
  };
  const std::string m = esrgan_models();
  fs::create_directories(dir() / "pictures");
  write_picture(test_picture(8, 8, 3), dir() / "pictures/p.png");
  std::ofstream(dir() / "broken.png") << "not a picture";
  const std::vector<Case> cases = {
      {"realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "o1.png", "-q"}, "o1.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "o2.png", "-m", m, "-n", "no-such-model"}, "o2.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "missing.png", "-o", "o3.png", "-m", m, "-s", "2"}, "o3.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "broken.png", "-o", "o4.png", "-m", m, "-s", "2"}, "o4.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "o5.png", "-t", "16", "-m", m}, "o5.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "o6.bmp", "-m", m}, "o6.bmp"},
      {"realesrgan-ncnn-vulkan", {"-i", "pictures", "-o", "o7.png", "-m", m}, "o7.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "o8.png", "-m", "elsewhere"}, "o8.png"},
      {"realcugan-ncnn-vulkan", {"-i", "in.png", "-o", "o9.png", "-n", "5", "-m", "models-se"}, "o9.png"},
      {"realcugan-ncnn-vulkan", {"-i", "in.png", "-o", "o10.png", "-c", "7", "-m", "models-se"}, "o10.png"},
      {"waifu2x-ncnn-vulkan", {"-i", "in.png", "-o", "o11.png", "-s", "3"}, "o11.png"},
      {"upscayl-bin", {"-i", "in.png", "-o", "o12.png", "-c", "150", "-m", m}, "o12.png"},
      {"upscayl-bin", {"-i", "in.png", "-o", "o13.png", "-w", "abc", "-m", m}, "o13.png"},
      {"realesrgan-ncnn-vulkan", {"-i", "in.png", "-o", "/proc/o14.png", "-s", "2", "-m", m}, "/proc/o14.png"},
  };
  for (const Case& c : cases) {
    ProcessRun run = tool(c.tool, c.args);
    std::string words = c.tool;
    for (const std::string& arg : c.args) words += " " + arg;
    EXPECT_NE(run.exit_code, 0) << words;
    EXPECT_NE(run.exit_code, -1) << words << ": killed (hang?)";
    EXPECT_TRUE(mentions_failure(run.err)) << words << "\n" << run.err;
    EXPECT_EQ(run.out, "") << words;
    const fs::path output = fs::path(c.output).is_absolute() ? fs::path(c.output) : dir() / c.output;
    EXPECT_FALSE(fs::exists(output)) << words;
  }
  // An output folder that cannot be written: every picture fails, nothing is left behind.
  ProcessRun folder = tool("realesrgan-ncnn-vulkan", {"-i", "pictures", "-o", "/proc", "-s", "2", "-m", m});
  EXPECT_NE(folder.exit_code, 0);
  EXPECT_NE(folder.err.find("failed"), std::string::npos) << folder.err;
  EXPECT_FALSE(fs::exists("/proc/p.png"));
}

}  // namespace
}  // namespace upres::cli_testing
