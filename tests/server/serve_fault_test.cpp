// kill -9 of the real `upres serve` in the middle of a "batch from directory" job: every result
// already in the output folder is whole (none partial), and a restarted server that runs the job
// again removes the dead server's temporaries, adopts the pictures the dead one finished (the job's
// journal says it is a resume) and saves a whole result for every other picture: no numbered copies.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "api_test_support.h"
#include "base/file_io.h"
#include "server_process.h"

namespace upres::server::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kPictures = 4, kSide = 320, kScale = 4;

// Noise: PNG cannot compress it, so each 4x result takes a while to encode and write.
void write_noise_png(const fs::path& path, unsigned seed) {
  image::Image picture(kSide, kSide, 3);
  std::mt19937 random(seed);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x)
      for (int c = 0; c < 3; ++c) picture.at(x, y, c) = static_cast<float>(random() % 256) / 255.0f;
  ASSERT_TRUE(write_file_atomic(path, image::encode_image(picture, {}).value()).is_ok());
}

std::vector<fs::path> files_in(const fs::path& dir, bool hidden) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().starts_with(".") == hidden) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

void expect_all_complete(const fs::path& dir) {
  for (const fs::path& file : files_in(dir, /*hidden=*/false)) {
    auto picture = image::read_image(file);
    ASSERT_TRUE(picture.is_ok()) << file << " is partial: " << picture.status().to_string();
    EXPECT_EQ(picture->width(), kScale * kSide) << file;
  }
}

class ServeFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("upres_serve_fault_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "scans");
    fs::create_directories(base_ / "outputs");
    for (int i = 0; i < kPictures; ++i) write_noise_png(base_ / "root" / "scans" / ("p" + std::to_string(i) + ".png"), i);
  }
  void TearDown() override { fs::remove_all(base_); }

  std::unique_ptr<ServerProcess> start_server() {
    return std::make_unique<ServerProcess>(
        UPRES_BINARY, std::vector<std::string>{"serve", "--batch-root", (base_ / "root").string(),
                                               "--output", (base_ / "outputs").string()});
  }
  static std::string submit(const ServerProcess& server) {
    httplib::Client client("127.0.0.1", server.port());
    auto created = post_json(client, "/api/v1/jobs",
                             {{"input_dir", "scans"},
                              {"output_dir", "big"},
                              {"show_results", false},
                              {"options", {{"upscaler_1", "Lanczos"}, {"upscaling_resize", kScale}}}});
    if (!created || created->status != 202) return "";
    return body_json(created).value("id", "");
  }

  fs::path base_;
  fs::path out() const { return base_ / "outputs" / "big"; }
};

TEST_F(ServeFaultTest, KillDuringAJobLeavesNoPartialFileAndARestartFinishesTheBatch) {
  {
    auto server = start_server();
    ASSERT_GT(server->port(), 0) << server->startup_output();
    ASSERT_NE(submit(*server), "");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (files_in(out(), false).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(::kill(server->pid(), SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(server->pid(), &status, 0), server->pid());
  }  // the destructor finds the server already gone
  const auto survivors = files_in(out(), false);
  ASSERT_GE(survivors.size(), 1u);
  ASSERT_LT(survivors.size(), static_cast<size_t>(kPictures)) << "the kill did not land mid-job";
  expect_all_complete(out());
  std::map<fs::path, std::vector<uint8_t>> finished;
  for (const fs::path& file : survivors) finished[file] = read_file_bytes(file).value();

  auto server = start_server();
  ASSERT_GT(server->port(), 0) << server->startup_output();
  const std::string id = submit(*server);
  ASSERT_NE(id, "");
  httplib::Client client("127.0.0.1", server->port());
  json job;
  for (int i = 0; i < 1200; ++i) {
    job = body_json(client.Get(("/api/v1/jobs/" + id).c_str()));
    if (job.value("state", "") != "queued" && job.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(job.value("state", ""), "done") << job.dump();
  EXPECT_EQ(files_in(out(), /*hidden=*/true), std::vector<fs::path>{}) << "temporaries left behind";
  expect_all_complete(out());
  for (int i = 0; i < kPictures; ++i)
    EXPECT_TRUE(fs::exists(out() / ("p" + std::to_string(i) + ".png"))) << "no result for p" << i;
  EXPECT_EQ(files_in(out(), /*hidden=*/false).size(), static_cast<size_t>(kPictures)) << "numbered duplicates";
  size_t adopted = 0;
  for (const json& result : job["results"]) adopted += result.value("adopted", false) ? 1 : 0;
  EXPECT_EQ(adopted, survivors.size()) << job.dump();
  for (const auto& [file, bytes] : finished) EXPECT_EQ(read_file_bytes(file).value(), bytes) << file << " was redone";
}

}  // namespace
}  // namespace upres::server::testing
