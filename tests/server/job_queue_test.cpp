// In-process tests for server/job_queue.h: order, progress, skip, cancel and the time limit.
#include "server/job_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "api_test_support.h"

namespace upres::server {
namespace {

// Sleeps `steps` x 20 ms, reporting each step, and stops when cancelled.
class StepUpscaler : public pipeline::Upscaler {
 public:
  std::string name() const override { return "Steps"; }
  Result<image::Image> upscale(const image::Image& input, int width, int height,
                               pipeline::Progress& progress) override {
    for (int step = 0; step < 25; ++step) {
      if (progress.is_cancelled()) return cancelled("Steps: cancelled");
      progress.report({"Steps", step, 25});
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return image::Image(width, height, input.channels());
  }
};

class JobQueueTest : public ::testing::Test {
 protected:
  JobQueueTest() : registry_(pipeline::UpscalerRegistry::with_classical_upscalers()) {
    registry_->add({"Steps", "", 0, true}, []() -> Result<std::shared_ptr<pipeline::Upscaler>> {
      return std::shared_ptr<pipeline::Upscaler>(std::make_shared<StepUpscaler>());
    });
  }
  JobSpec spec(const std::string& upscaler, int images) {
    JobSpec s;
    s.request.upscaler_1 = upscaler;
    s.request.scale = 2;
    for (int i = 0; i < images; ++i)
      s.inputs.push_back({"in" + std::to_string(i), testing::make_png(4 + i, 3), {}});
    return s;
  }
  std::shared_ptr<pipeline::UpscalerRegistry> registry_;
};

TEST_F(JobQueueTest, RunsJobsInOrderAndKeepsResults) {
  JobQueue queue(registry_, {});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(*queue.submit(spec("Lanczos", i + 1)));
  auto last = queue.wait_until_finished(ids.back());
  ASSERT_TRUE(last);
  EXPECT_EQ(last->state, JobState::kDone);
  ASSERT_EQ(last->results.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(last->results[i]->width, 2 * (4 + static_cast<int>(i)));
    EXPECT_EQ(testing::decoded_size(last->results[i]->encoded),
              std::make_pair(2 * (4 + static_cast<int>(i)), 6));
  }
  for (const auto& id : ids) EXPECT_EQ(queue.snapshot(id)->state, JobState::kDone);
  EXPECT_FALSE(queue.snapshot("nope").has_value());
}

TEST_F(JobQueueTest, ReportsProgressAndEtaWhileRunning) {
  JobQueue queue(registry_, {});
  const std::string id = *queue.submit(spec("Steps", 2));
  const std::string waiting = *queue.submit(spec("Lanczos", 1));
  std::optional<JobSnapshot> seen;
  uint64_t version = 0;
  for (int i = 0; i < 200; ++i) {
    seen = queue.wait_for_change(id, version, std::chrono::milliseconds(200));
    version = seen->version;
    if (seen->progress > 0.3) break;
  }
  EXPECT_EQ(seen->state, JobState::kRunning);
  EXPECT_GT(seen->progress, 0.3);
  EXPECT_LT(seen->progress, 1.0);
  EXPECT_GT(seen->eta_s, 0.0);
  EXPECT_EQ(seen->stage, "Steps");
  EXPECT_EQ(queue.snapshot(waiting)->queue_position, 1u);
  EXPECT_EQ(queue.wait_until_finished(id)->state, JobState::kDone);
}

TEST_F(JobQueueTest, SkipDropsOneImageAndCancelStopsTheJob) {
  JobQueue queue(registry_, {});
  const std::string id = *queue.submit(spec("Steps", 3));
  const std::string queued = *queue.submit(spec("Lanczos", 1));
  while (!queue.running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(queue.skip_running_image());
  EXPECT_TRUE(queue.cancel(queued));
  auto done = queue.wait_until_finished(id);
  EXPECT_EQ(done->state, JobState::kDone);
  EXPECT_EQ(done->results.size(), 2u);
  ASSERT_EQ(done->failures.size(), 1u);
  EXPECT_EQ(done->failures[0].status.code(), StatusCode::kCancelled);
  EXPECT_EQ(queue.snapshot(queued)->state, JobState::kCancelled);

  const std::string again = *queue.submit(spec("Steps", 3));
  while (!queue.running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(queue.interrupt_running());
  auto stopped = queue.wait_until_finished(again);
  EXPECT_EQ(stopped->state, JobState::kCancelled);
  EXPECT_LT(stopped->results.size(), 3u);
  EXPECT_FALSE(queue.cancel(again));
}

TEST_F(JobQueueTest, TimeLimitCancelsALongJob) {
  JobQueueOptions options;
  options.job_timeout = std::chrono::seconds(1);
  JobQueue queue(registry_, options);
  const auto started = std::chrono::steady_clock::now();
  auto done = queue.wait_until_finished(*queue.submit(spec("Steps", 10)));  // 5 s without a limit
  EXPECT_EQ(done->state, JobState::kCancelled);
  EXPECT_NE(done->error.message().find("time limit"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(JobQueueTest, BadImagesFailWithTheirNameAndOversizedResultsAreRefused) {
  JobQueueOptions options;
  options.max_output_pixels = 1000;
  JobQueue queue(registry_, options);
  JobSpec bad = spec("Lanczos", 1);
  bad.inputs.push_back({"junk.png", std::vector<uint8_t>(64, 7), {}});
  auto done = queue.wait_until_finished(*queue.submit(std::move(bad)));
  EXPECT_EQ(done->state, JobState::kDone);
  ASSERT_EQ(done->failures.size(), 1u);
  EXPECT_EQ(done->failures[0].name, "junk.png");
  JobSpec huge = spec("Lanczos", 1);
  huge.request.scale = 16;
  auto refused = queue.wait_until_finished(*queue.submit(std::move(huge)));
  EXPECT_EQ(refused->state, JobState::kFailed);
  EXPECT_EQ(refused->error.code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace upres::server
