// The native /api/v1 job API, the embedded page and path-traversal safety, against a real server
// process on loopback with a batch root and an output folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api_test_support.h"
#include "base/file_io.h"
#include "batch_server_fixture.h"

namespace upres::server::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class JobsApiTest : public BatchServerFixture {
 protected:
  JobsApiTest() : BatchServerFixture("upres_jobs_api_", /*read_timeout_s=*/30, /*job_polls=*/200) {}
  void SetUp() override {
    BatchServerFixture::SetUp();
    fs::create_directories(base_ / "secret");
    write_bytes(base_ / "root" / "scans" / "a.png", make_png(6, 4));
    write_bytes(base_ / "root" / "scans" / "b.png", make_png(5, 5));
    write_bytes(base_ / "secret" / "c.png", make_png(3, 3));
    fs::create_directory_symlink(base_ / "secret", base_ / "root" / "link");
    start_server({"--slow-ms", "3000"});
  }
  std::string upload(const std::vector<std::vector<uint8_t>>& pictures, const json& options) {
    httplib::MultipartFormDataItems items = {{"options", options.dump(), "", "application/json"}};
    for (size_t i = 0; i < pictures.size(); ++i)
      items.push_back({"images", std::string(pictures[i].begin(), pictures[i].end()),
                       "pic" + std::to_string(i) + ".png", "image/png"});
    auto c = client();
    return created_job_id(c.Post("/api/v1/jobs", items));
  }
};

TEST_F(JobsApiTest, UploadRunsAndResultsDownloadAndAreSaved) {
  const std::string id = upload({make_png(7, 3), make_png(2, 9)},
                                {{"upscaler_1", "Lanczos"}, {"upscaling_resize", 2}});
  ASSERT_FALSE(id.empty());
  json job = wait_done(id);
  ASSERT_EQ(job["state"], "done") << job.dump();
  ASSERT_EQ(job["results"].size(), 2u);
  EXPECT_EQ(job["progress"], 1.0);
  auto c = client();
  const std::pair<int, int> expected[] = {{14, 6}, {4, 18}};
  for (int i = 0; i < 2; ++i) {
    auto result = c.Get(job["results"][i]["url"].get<std::string>().c_str());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("Content-Type"), "image/png");
    EXPECT_NE(result->get_header_value("Content-Disposition").find("attachment"),
              std::string::npos);
    EXPECT_EQ(decoded_size(std::span(reinterpret_cast<const uint8_t*>(result->body.data()),
                                     result->body.size())),
              expected[i]);
    const fs::path saved = job["results"][i]["saved_path"].get<std::string>();
    EXPECT_TRUE(fs::exists(saved)) << saved;
    EXPECT_EQ(fs::canonical(saved).parent_path(), fs::canonical(base_ / "outputs"));
  }
  EXPECT_EQ(c.Get(("/api/v1/jobs/" + id + "/result?index=2").c_str())->status, 404);
  EXPECT_EQ(c.Get("/api/v1/jobs/abc123/result")->status, 404);
}

TEST_F(JobsApiTest, EventsStreamProgressUntilDoneAndDeleteCancels) {
  const std::string id = upload({make_png(4, 4)}, {{"upscaler_1", "Slow test"}});
  ASSERT_FALSE(id.empty());
  auto c = client();
  std::string stream;
  int progress_events = 0;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    auto other = client();
    auto result = other.Delete(("/api/v1/jobs/" + id).c_str());
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << result->body;
  });
  auto result =
      c.Get(("/api/v1/jobs/" + id + "/events").c_str(), [&](const char* data, size_t size) {
        stream.append(data, size);
        return true;
      });
  canceller.join();
  ASSERT_TRUE(result);
  for (size_t at = 0; (at = stream.find("event: progress", at)) != std::string::npos; ++at)
    ++progress_events;
  EXPECT_GE(progress_events, 3) << stream;
  EXPECT_NE(stream.find("\"eta_s\":"), std::string::npos);
  const size_t done = stream.find("event: done\ndata: ");
  ASSERT_NE(done, std::string::npos) << stream;
  json last = json::parse(stream.substr(done + 18, stream.find('\n', done + 18) - done - 18));
  EXPECT_EQ(last["state"], "cancelled");
  EXPECT_EQ(c.Delete(("/api/v1/jobs/" + id).c_str())->status, 409);
}

TEST_F(JobsApiTest, BatchFromDirectoryStaysInsideTheRoots) {
  auto c = client();
  const json bad[] = {
      {{"input_dir", "../secret"}},
      {{"input_dir", (base_ / "secret").string()}},
      {{"input_dir", "link"}},
      {{"input_dir", "scans/../../secret"}},
      {{"input_dir", "scans"}, {"output_dir", "../root/scans"}},
      {{"input_dir", "scans"}, {"output_dir", "/tmp"}},
  };
  for (const json& body : bad) {
    auto result = post_json(c, "/api/v1/jobs", body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 422) << body.dump() << " " << result->body;
    const std::string field = body_json(result).value("field", "");
    EXPECT_TRUE(field == "input_dir" || field == "output_dir") << result->body;
  }
  auto ok = post_json(c, "/api/v1/jobs",
                      {{"input_dir", "scans"},
                       {"output_dir", "big"},
                       {"options", {{"upscaler_1", "Nearest"}, {"upscaling_resize", 3}}}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 202) << ok->body;
  json job = wait_done(json::parse(ok->body)["id"]);
  ASSERT_EQ(job["state"], "done") << job.dump();
  EXPECT_TRUE(fs::exists(base_ / "outputs" / "big" / "a.png"));
  EXPECT_TRUE(fs::exists(base_ / "outputs" / "big" / "b.png"));
  EXPECT_EQ(std::distance(fs::directory_iterator(base_ / "secret"), fs::directory_iterator()), 1);
  EXPECT_EQ(
      std::distance(fs::directory_iterator(base_ / "root" / "scans"), fs::directory_iterator()), 2);
}

// skip_existing: off by default (a second run numbers its copies, as before); on, a result stamped
// with the same input and parameters is adopted, and one made with other parameters fails its picture.
TEST_F(JobsApiTest, SkipExistingAdoptsStampedResultsOfTheSameInputAndParameters) {
  auto c = client();
  const json options = {{"upscaler_1", "Nearest"}, {"upscaling_resize", 2}};
  auto run = [&](json body) {
    body["input_dir"] = "scans";
    body["output_dir"] = "again";
    auto created = post_json(c, "/api/v1/jobs", body);
    EXPECT_TRUE(created && created->status == 202) << (created ? created->body : "no answer");
    return created && created->status == 202 ? wait_done(body_json(created)["id"]) : json();
  };
  const fs::path out = base_ / "outputs" / "again";
  ASSERT_EQ(run({{"options", options}})["state"], "done");
  const auto first_a = read_file_bytes(out / "a.png").value();

  json adopted = run({{"options", options}, {"skip_existing", true}});
  ASSERT_EQ(adopted["state"], "done") << adopted.dump();
  ASSERT_EQ(adopted["results"].size(), 2u);
  for (const json& result : adopted["results"]) {
    EXPECT_TRUE(result["adopted"].get<bool>()) << result.dump();
    EXPECT_EQ(result["width"], result["name"] == "a.png" ? 12 : 10) << result.dump();
  }
  EXPECT_FALSE(fs::exists(out / "a-1.png"));
  EXPECT_EQ(read_file_bytes(out / "a.png").value(), first_a);

  json other = run({{"options", {{"upscaler_1", "Nearest"}, {"upscaling_resize", 3}}}, {"skip_existing", true}});
  EXPECT_EQ(other["results"].size(), 0u) << other.dump();
  ASSERT_EQ(other["failures"].size(), 2u) << other.dump();
  EXPECT_NE(other["failures"][0]["detail"].get<std::string>().find("made with other parameters"), std::string::npos)
      << other.dump();

  json numbered = run({{"options", options}});
  ASSERT_EQ(numbered["state"], "done") << numbered.dump();
  EXPECT_FALSE(numbered["results"][0]["adopted"].get<bool>());
  EXPECT_TRUE(fs::exists(out / "a-1.png")) << "skip_existing is off unless asked for or resuming";
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 4) << "a journal was left";
}

TEST_F(JobsApiTest, PageAndOptionsAreServedAndStaticPathsCannotEscape) {
  auto c = client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page->body.find("<html"), std::string::npos);
  json options = body_json(c.Get("/api/v1/options"));
  ASSERT_TRUE(options["options"].is_array()) << options.dump();
  EXPECT_EQ(options["options"][0]["name"], "resize_mode");
  EXPECT_EQ(options["batch_from_directory"], true);
  for (const char* path :
       {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
        "/index.html/../../etc/passwd", "/etc/passwd", "//etc/passwd"}) {
    auto result = c.Get(path);
    if (!result) continue;  // the client may refuse to send it
    EXPECT_NE(result->status, 200) << path;
    EXPECT_EQ(result->body.find("root:"), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace upres::server::testing
