// BatchServerFixture: the test server in a real process over a scratch folder, for the /api/v1 job
// tests: base_/root is its batch root and base_/outputs its output folder. Subclasses fill root/
// after SetUp() and then start_server(). One per test; not thread-safe.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api_test_support.h"
#include "server_process.h"

namespace upres::server::testing {

class BatchServerFixture : public ::testing::Test {
 protected:
  // The scratch folder is `folder_prefix` plus the process id under the system's temp folder (so
  // concurrent test processes do not share one). client() waits up to `read_timeout_s` for an
  // answer; wait_done() polls a job up to `job_polls` times, 50 ms apart.
  BatchServerFixture(const std::string& folder_prefix, int read_timeout_s, int job_polls)
      : base_(std::filesystem::temp_directory_path() / (folder_prefix + std::to_string(::getpid()))),
        read_timeout_s_(read_timeout_s),
        job_polls_(job_polls) {}

  // Makes base_ afresh, with root/scans/ and outputs/ in it.
  void SetUp() override {
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_ / "root" / "scans");
    std::filesystem::create_directories(base_ / "outputs");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(base_);
  }

  // Starts the server on base_/root and base_/outputs, `extra_arguments` after those; a server
  // that does not come up fails the test.
  void start_server(const std::vector<std::string>& extra_arguments = {}) {
    std::vector<std::string> arguments = {"--batch-root", (base_ / "root").string(), "--output-dir",
                                          (base_ / "outputs").string()};
    arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
    server_ = std::make_unique<ServerProcess>(test_server_path(), std::move(arguments));
    ASSERT_GT(server_->port(), 0) << server_->startup_output();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(read_timeout_s_);
    return c;
  }

  // The job once it is neither queued nor running (or the last answer when polls run out).
  nlohmann::json wait_done(const std::string& id) const {
    auto c = client();
    return wait_for_job(c, id, job_polls_);
  }

  // The id of the job a POST /api/v1/jobs created; "" after a test failure naming the answer when
  // it was not 202 Accepted.
  static std::string created_job_id(const httplib::Result& result) {
    if (!result || result->status != 202) {
      ADD_FAILURE() << (result ? result->body : "no answer");
      return "";
    }
    return nlohmann::json::parse(result->body)["id"];
  }

  std::filesystem::path base_;
  std::unique_ptr<ServerProcess> server_;

 private:
  int read_timeout_s_;
  int job_polls_;
};

}  // namespace upres::server::testing
