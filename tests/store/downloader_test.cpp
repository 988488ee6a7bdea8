// Downloader against tests/store/model_server.py: checksums, resume, refusals, progress, offline.
#include "store/downloader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "local_model_server.h"

namespace upres::store {
namespace {

namespace fs = std::filesystem;
using testing::LocalModelServer;
using testing::TempFolder;

constexpr size_t kModelBytes = 300'000;

class DownloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    served_ = temp_.path() / "served";
    models_ = temp_.path() / "models";
    bytes_ = testing::random_bytes(kModelBytes, 7);
    testing::write_bytes(served_ / "model.pth", bytes_);
    testing::write_bytes(served_ / "tiny.pth", testing::random_bytes(100, 8));
    sha_ = testing::sha256sum_of(served_ / "model.pth");
    ASSERT_EQ(sha_.size(), 64u);
    server_ = LocalModelServer::start(served_);
    ASSERT_NE(server_, nullptr);
  }

  DownloadRequest request(std::string_view mode, std::string_view file = "model.pth") const {
    return {server_->url(mode, file), models_ / "ESRGAN" / "model.pth", sha_, 0, {}};
  }

  bool exists(const fs::path& path) const { return fs::exists(path); }
  fs::path destination() const { return models_ / "ESRGAN" / "model.pth"; }
  fs::path part() const { return Downloader::part_path_for(destination()); }
  bool logged_range(uint64_t from) const {
    std::string wanted = "range=bytes=" + std::to_string(from) + "-";
    auto lines = server_->log_lines();
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& line) { return line.find(wanted) != std::string::npos; });
  }

  TempFolder temp_;
  fs::path served_, models_;
  std::vector<uint8_t> bytes_;
  std::string sha_;
  std::unique_ptr<LocalModelServer> server_;
};

TEST_F(DownloaderTest, DownloadsChecksAndRenamesIntoPlace) {
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  DownloadRequest req = request("ok");
  req.progress = [&](uint64_t done, uint64_t total) {
    calls.emplace_back(done, total);
    return true;
  };
  Status status = Downloader().download(req);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
  EXPECT_FALSE(exists(part()));
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(uint64_t{kModelBytes}, uint64_t{kModelBytes}));
}

TEST_F(DownloaderTest, FollowsRedirects) {
  Status status = Downloader().download(request("redirect"));
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
}

TEST_F(DownloaderTest, WrongHashIsRefusedAndLeavesNothing) {
  DownloadRequest req = request("ok");
  req.sha256 = std::string(64, '0');
  Status status = Downloader().download(req);
  EXPECT_EQ(status.code(), StatusCode::kCorrupt);
  EXPECT_NE(status.message().find("sha256 " + sha_), std::string::npos) << status.message();
  EXPECT_FALSE(exists(destination()));
  EXPECT_FALSE(exists(part()));
}

TEST_F(DownloaderTest, ResumesAPartFileWithARangeRequest) {
  DownloadOptions one_try;
  one_try.max_attempts = 1;
  Status first = Downloader(one_try).download(request("cut"));
  ASSERT_EQ(first.code(), StatusCode::kIoError) << first.to_string();
  EXPECT_NE(first.message().find("interrupted"), std::string::npos) << first.message();
  ASSERT_TRUE(exists(part()));
  uint64_t kept = fs::file_size(part());
  EXPECT_EQ(kept, kModelBytes / 2);
  EXPECT_FALSE(exists(destination()));

  Status second = Downloader(one_try).download(request("cut"));
  ASSERT_TRUE(second.is_ok()) << second.to_string();
  EXPECT_TRUE(logged_range(kept));
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
  EXPECT_FALSE(exists(part()));
}

TEST_F(DownloaderTest, RetriesADroppedConnectionWithinOneCall) {
  Status status = Downloader().download(request("cut"));
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_TRUE(logged_range(kModelBytes / 2));
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
}

TEST_F(DownloaderTest, RestartsWhenTheServerIgnoresRange) {
  testing::write_bytes(part(), testing::random_bytes(1000, 99));  // stale bytes, not the model
  Status status = Downloader().download(request("norange"));
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
}

TEST_F(DownloaderTest, HttpNotFoundNamesUrlAndStatus) {
  DownloadRequest req = request("missing");
  Status status = Downloader().download(req);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(req.url), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("HTTP 404"), std::string::npos) << status.message();
  EXPECT_FALSE(exists(destination()));
  EXPECT_FALSE(exists(part()));
}

TEST_F(DownloaderTest, RefusesHtmlByContentTypeAndByBody) {
  for (std::string_view mode : {"html", "htmlbody"}) {
    DownloadRequest req = request(mode);
    req.sha256.clear();
    Status status = Downloader().download(req);
    EXPECT_EQ(status.code(), StatusCode::kCorrupt) << mode;
    EXPECT_NE(status.message().find("HTML"), std::string::npos) << status.message();
    EXPECT_FALSE(exists(destination())) << mode;
    EXPECT_FALSE(exists(part())) << mode;
  }
}

TEST_F(DownloaderTest, RefusesBodiesUnder200Bytes) {
  DownloadRequest req = request("ok", "tiny.pth");
  req.sha256.clear();
  Status status = Downloader().download(req);
  EXPECT_EQ(status.code(), StatusCode::kCorrupt);
  EXPECT_NE(status.message().find("too small"), std::string::npos) << status.message();
  EXPECT_FALSE(exists(destination()));
}

TEST_F(DownloaderTest, RefusesBodiesOverTheSizeLimitOrOfTheWrongSize) {
  DownloadOptions small;
  small.max_bytes = 10'000;
  Status over = Downloader(small).download(request("ok"));
  EXPECT_EQ(over.code(), StatusCode::kResourceExhausted) << over.to_string();
  EXPECT_FALSE(exists(part()));

  DownloadRequest req = request("ok");
  req.expected_bytes = kModelBytes + 1;
  Status short_body = Downloader().download(req);
  EXPECT_EQ(short_body.code(), StatusCode::kCorrupt) << short_body.to_string();
  EXPECT_FALSE(exists(destination()));
}

TEST_F(DownloaderTest, OfflineGivesAClearError) {
  DownloadRequest req = request("ok");
  req.url = "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/ok/model.pth";
  Status status = Downloader().download(req);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find(req.url), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("cannot connect"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("UPRES_MODEL_MIRROR"), std::string::npos) << status.message();
  EXPECT_FALSE(exists(part()));
}

TEST_F(DownloaderTest, ProgressIsThrottledAndMonotonic) {
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  DownloadRequest req = request("slow");
  req.progress = [&](uint64_t done, uint64_t total) {
    calls.emplace_back(done, total);
    return true;
  };
  auto start = std::chrono::steady_clock::now();
  Status status = Downloader().download(req);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_LE(calls.size(), static_cast<size_t>(seconds * 10) + 2) << seconds << " s";
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back().first, kModelBytes);
}

TEST_F(DownloaderTest, CancelKeepsThePartForLater) {
  DownloadRequest req = request("slow");
  req.progress = [](uint64_t done, uint64_t) { return done == 0; };
  Status status = Downloader().download(req);
  EXPECT_EQ(status.code(), StatusCode::kCancelled) << status.to_string();
  ASSERT_TRUE(exists(part()));
  EXPECT_GT(fs::file_size(part()), 0u);
  EXPECT_FALSE(exists(destination()));
  Status resumed = Downloader().download(request("ok"));
  ASSERT_TRUE(resumed.is_ok()) << resumed.to_string();
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
}

TEST_F(DownloaderTest, ReadsFileUrls) {
  DownloadRequest req = request("ok");
  req.url = "file://" + (served_ / "model.pth").string();
  Status status = Downloader().download(req);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(testing::read_bytes(destination()), bytes_);
  req.url = "file://" + (served_ / "absent.pth").string();
  EXPECT_EQ(Downloader().download(req).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace upres::store
