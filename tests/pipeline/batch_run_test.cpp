#include "pipeline/batch_run.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file_io.h"
#include "pipeline/extras_options.h"
#include "test_folder.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

void write_png(const fs::path& path, int width, int height) {
  image::Image picture(width, height, 3);
  for (size_t i = 0; i < picture.sample_count(); ++i) picture.pixels()[i] = (i % 7) / 7.0f;
  auto bytes = image::encode_image(picture, {});
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  ASSERT_TRUE(write_file_atomic(path, bytes.value()).is_ok());
}

class BatchRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(in_.path());
    write_png(in_.path() / "a.png", 8, 6);
    write_png(in_.path() / "c.png", 5, 5);
    std::ofstream(in_.path() / "b.png") << "this is not a picture";  // broken
    auto bytes = read_file_bytes(in_.path() / "a.png").value();
    bytes.resize(bytes.size() / 2);
    ASSERT_TRUE(write_file_atomic(in_.path() / "d.png", bytes).is_ok());  // truncated
    request_.scale = 2;
  }
  BatchReport run(const BatchOptions& options = {}) {
    auto output = OutputFolder::open(out_.path(), {});
    EXPECT_TRUE(output.is_ok());
    InputList inputs = expand_inputs({in_.path().string()}, false);
    return run_batch(inputs, request_, *registry_, output.value(), options, progress_);
  }
  upres::testing::TestFolder in_{"_in"}, out_{"_out"};
  ExtrasRequest request_ = default_cli_request();
  std::shared_ptr<UpscalerRegistry> registry_ = UpscalerRegistry::with_classical_upscalers();
  Progress progress_;
};

TEST_F(BatchRunTest, BrokenFilesAreReportedAndTheRestFinish) {
  BatchReport report = run();
  EXPECT_EQ(report.succeeded, 2);
  EXPECT_EQ(report.failed, 2);
  EXPECT_FALSE(report.all_succeeded());
  ASSERT_EQ(report.outcomes.size(), 4u);
  EXPECT_NE(report.outcomes[1].status.message().find("b.png"), std::string::npos);
  EXPECT_NE(report.outcomes[3].status.message().find("d.png"), std::string::npos);
  auto a = image::read_image(out_.path() / "a.png");
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->width(), 16);
  EXPECT_TRUE(fs::exists(out_.path() / "c.png"));
  EXPECT_FALSE(fs::exists(out_.path() / "b.png"));
}

TEST_F(BatchRunTest, SkipExistingResumesAnInterruptedBatch) {
  run();
  BatchOptions options;
  options.skip_existing = true;
  BatchReport again = run(options);
  EXPECT_EQ(again.skipped, 2);
  EXPECT_EQ(again.succeeded, 0);
  EXPECT_FALSE(fs::exists(out_.path() / "a-1.png"));
}

TEST_F(BatchRunTest, PixelLimitRefusesBigInputs) {
  BatchOptions options;
  options.limits.max_pixels = 40;  // a.png has 48 pixels, c.png 25
  BatchReport report = run(options);
  EXPECT_EQ(report.outcomes[0].status.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(report.outcomes[2].status.is_ok());
}

TEST_F(BatchRunTest, CancellationStopsBeforeTheNextItem) {
  progress_.cancel();
  BatchReport report = run();
  EXPECT_EQ(report.failed, 4);
  EXPECT_EQ(report.outcomes[0].status.code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace upres::pipeline
