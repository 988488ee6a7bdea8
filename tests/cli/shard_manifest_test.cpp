// `upres upscale --shard/--manifest/--skip-existing` and `upres manifest`: shards of one batch run
// one after another (as array tasks would), then are merged, summarised, verified and resumed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "base/file_io.h"
#include "image/image_codec.h"
#include "pipeline/run_manifest.h"
#include "test_folder.h"
#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;
using cli_testing::CommandRun;
using cli_testing::quoted;
using cli_testing::run_upres;

class ShardManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(in_ / "sub");
    for (int i = 0; i < 10; ++i) {
      image::Image picture(12, 8, 3);
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 12; ++x)
          for (int c = 0; c < 3; ++c) picture.at(x, y, c) = ((x * 13 + y * 7 + c * 50 + i * 20) % 256) / 255.0f;
      const fs::path path = in_ / (i < 7 ? "" : "sub") / ("p" + std::to_string(i) + ".png");
      ASSERT_TRUE(write_file_atomic(path, image::encode_image(picture, {}).value()).is_ok());
    }
    std::ofstream(in_ / "broken.png") << "not a picture";
  }

  CommandRun upscale(const std::string& extra) {
    return run_upres("upscale " + quoted(in_) + " -r --scale 2 --upscaler Lanczos -o " + quoted(out_) + " " + extra);
  }

  // "ok" records per input over the manifest.
  std::map<std::string, int> written_by_input() {
    std::map<std::string, int> written;
    auto contents = pipeline::read_manifest(manifest_);
    EXPECT_TRUE(contents.is_ok());
    if (!contents.is_ok()) return written;
    EXPECT_TRUE(contents->bad_lines.empty());
    for (const auto& record : contents->records)
      if (record.status == "ok") ++written[record.input];
    return written;
  }

  testing::TestFolder dir_;
  fs::path in_ = dir_.path() / "in";
  fs::path out_ = dir_.path() / "out";
  fs::path manifest_ = dir_.path() / "run.jsonl";
};

TEST_F(ShardManifestTest, FourShardsWriteEveryPictureOnceAndResumeWithoutRedoing) {
  for (int shard = 0; shard < 4; ++shard) {
    CommandRun run = upscale("--shard " + std::to_string(shard) + "/4 --manifest " + quoted(manifest_) + " --skip-existing");
    EXPECT_NE(run.output.find("upres: shard " + std::to_string(shard) + "/4: "), std::string::npos) << run.output;
  }
  std::map<std::string, int> written = written_by_input();
  EXPECT_EQ(written.size(), 10u);
  for (const auto& [input, times] : written) EXPECT_EQ(times, 1) << input;
  EXPECT_EQ(written.count("sub/p8.png"), 1u);  // keys are relative to the folder argument
  size_t files = std::distance(fs::directory_iterator(out_), fs::directory_iterator{});
  EXPECT_EQ(files, 10u);

  CommandRun summary = run_upres("manifest summary " + quoted(manifest_) + " --shards 4 --inputs " + quoted(in_) + " -r");
  EXPECT_EQ(summary.exit_code, 1) << summary.output;  // the broken picture failed
  EXPECT_NE(summary.output.find("total            10        0        1        0"), std::string::npos) << summary.output;
  EXPECT_NE(summary.output.find("failed  broken.png: "), std::string::npos) << summary.output;
  CommandRun verify = run_upres("manifest verify " + quoted(manifest_) + " --inputs " + quoted(in_) + " -r");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("10 results verified, 0 problems"), std::string::npos) << verify.output;

  // A lost result is redone, the rest skipped; nothing gets a second copy.
  fs::remove(out_ / "p3.png");
  for (int shard = 0; shard < 4; ++shard)
    upscale("--shard " + std::to_string(shard) + "/4 --manifest " + quoted(manifest_) + " --skip-existing");
  written = written_by_input();
  EXPECT_EQ(written["p3.png"], 2);
  for (const auto& [input, times] : written) {
    if (input == "p3.png") continue;
    EXPECT_EQ(times, 1) << input;
  }
  files = std::distance(fs::directory_iterator(out_), fs::directory_iterator{});
  EXPECT_EQ(files, 10u);

  CommandRun merged = run_upres("manifest merge " + quoted(manifest_) + " -o " + quoted(dir_.path() / "merged.jsonl"));
  EXPECT_EQ(merged.exit_code, 0) << merged.output;
  auto contents = pipeline::read_manifest(dir_.path() / "merged.jsonl");
  ASSERT_TRUE(contents.is_ok());
  EXPECT_EQ(contents->records.size(), 11u);  // one per input, broken one included
}

TEST_F(ShardManifestTest, VerifyFindsChangedAndMissingResults) {
  ASSERT_EQ(upscale("--manifest " + quoted(manifest_)).exit_code, 1);  // broken.png fails
  std::ofstream(out_ / "p1.png", std::ios::app) << "x";
  fs::remove(out_ / "p2.png");
  std::ofstream(in_ / "new.png") << "arrived after the run";
  CommandRun verify = run_upres("manifest verify " + quoted(manifest_) + " --inputs " + quoted(in_) + " -r");
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.output.find("p1.png: result"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("p2.png: result"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("new.png: no record"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("8 results verified, 3 problems"), std::string::npos) << verify.output;
}

TEST_F(ShardManifestTest, SkipExistingTrustsOnlyResultsOfTheSameInputAndParameters) {
  ASSERT_EQ(upscale("").exit_code, 1);
  // No manifest: the PNGs' upres-source stamps prove what made them.
  CommandRun resume = upscale("--skip-existing");
  EXPECT_NE(resume.output.find("0 succeeded, 1 failed, 10 skipped"), std::string::npos) << resume.output;
  // Other parameters: the results are not these; failed, not overwritten, no second copy.
  CommandRun other = run_upres("upscale " + quoted(in_) + " -r --scale 3 --upscaler Lanczos -o " + quoted(out_) +
                               " --skip-existing");
  EXPECT_NE(other.output.find("0 succeeded, 11 failed, 0 skipped"), std::string::npos) << other.output;
  EXPECT_NE(other.output.find("p0.png exists but was made with other parameters"), std::string::npos) << other.output;
  // A changed input is not skipped either.
  fs::copy_file(in_ / "p1.png", in_ / "p0.png", fs::copy_options::overwrite_existing);
  CommandRun changed = upscale("--skip-existing");
  EXPECT_NE(changed.output.find("0 succeeded, 2 failed, 9 skipped"), std::string::npos) << changed.output;
  EXPECT_NE(changed.output.find("p0.png exists but was made from another version of p0.png"), std::string::npos)
      << changed.output;
  EXPECT_EQ(std::distance(fs::directory_iterator(out_), fs::directory_iterator{}), 10);
}

TEST_F(ShardManifestTest, ShardAutoReadsTheArrayEnvironment) {
  ::setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  CommandRun run = upscale("--shard auto");
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  EXPECT_NE(run.output.find("upres: shard 3/4: "), std::string::npos) << run.output;
  ::setenv("JOB_COMPLETION_INDEX", "1", 1);
  CommandRun no_count = upscale("--shard auto");
  CommandRun with_count = upscale("--shard auto --shards 2");
  ::unsetenv("JOB_COMPLETION_INDEX");
  EXPECT_EQ(no_count.exit_code, 2);
  EXPECT_NE(no_count.output.find("give --shards N"), std::string::npos) << no_count.output;
  EXPECT_NE(with_count.output.find("upres: shard 1/2: "), std::string::npos) << with_count.output;
  CommandRun bad = upscale("--shard 4/4");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("shard index 4 is outside 0..3"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace upres
