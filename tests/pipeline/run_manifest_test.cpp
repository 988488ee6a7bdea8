// The JSON-lines manifest: round trip, the 4 KiB line cap, concurrent appenders, torn lines.
#include "pipeline/run_manifest.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "test_folder.h"

namespace upres::pipeline {
namespace {

ManifestRecord sample_record(const std::string& input) {
  ManifestRecord record;
  record.input = input;
  record.input_bytes = 1234;
  record.input_sha256 = std::string(64, 'a');
  record.output = "x.png";
  record.output_dir = "out";
  record.output_sha256 = std::string(64, 'b');
  record.status = "ok";
  record.params = R"({"upscaler_1":"Lanczos","upscaling_resize":4.0})";
  record.params_sha256 = std::string(64, 'c');
  record.infotext = "Postprocess upscale by: 4, Postprocess upscaler: Lanczos";
  record.seconds = 1.5;
  record.shard = "2/4";
  record.upres_version = "v1";
  record.model_sha256 = {{"R-ESRGAN 4x+", std::string(64, 'd')}};
  record.finished_unix_s = 1700000000;
  return record;
}

TEST(RunManifestTest, RecordsRoundTrip) {
  const ManifestRecord record = sample_record("sub/é x.png");
  const std::string line = to_manifest_line(record);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto parsed = parse_manifest_line(line);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->input, record.input);
  EXPECT_EQ(parsed->input_bytes, 1234);
  EXPECT_EQ(parsed->output_sha256, record.output_sha256);
  EXPECT_EQ(parsed->params, record.params);
  EXPECT_EQ(parsed->infotext, record.infotext);
  EXPECT_EQ(parsed->shard, "2/4");
  EXPECT_EQ(parsed->model_sha256, record.model_sha256);
  EXPECT_TRUE(parsed->is_done());
}

TEST(RunManifestTest, LongErrorsAreCutToFitOneLine) {
  ManifestRecord record = sample_record("a.png");
  record.status = "failed";
  record.error = std::string(20000, 'e');
  record.infotext = std::string(5000, 'i');
  const std::string line = to_manifest_line(record);
  EXPECT_LE(line.size(), kMaxManifestLineBytes);
  auto parsed = parse_manifest_line(line);
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_EQ(parsed->status, "failed");
  EXPECT_GT(parsed->error.size(), 100u);
}

TEST(RunManifestTest, RejectsLinesThatAreNotRecords) {
  EXPECT_FALSE(parse_manifest_line("{\"input\":\"a.png\",\"status\":\"ok\"").is_ok());  // torn
  EXPECT_FALSE(parse_manifest_line("{\"status\":\"ok\"}").is_ok());
  EXPECT_FALSE(parse_manifest_line("{\"input\":\"a.png\",\"status\":\"maybe\"}").is_ok());
  EXPECT_FALSE(parse_manifest_line("[1,2]").is_ok());
  EXPECT_TRUE(parse_manifest_line("{\"input\":\"a.png\",\"status\":\"failed\"}").is_ok());
}

// Four processes append to one file at once (as array tasks on a shared filesystem do): every
// line arrives whole.
TEST(RunManifestTest, ConcurrentAppendersNeverInterleave) {
  testing::TestFolder dir;
  const auto path = dir.path() / "shared.jsonl";
  constexpr int kWriters = 4, kLines = 150;
  std::vector<pid_t> children;
  for (int writer = 0; writer < kWriters; ++writer) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto manifest = ManifestWriter::open(path);
      if (!manifest.is_ok()) ::_exit(1);
      for (int i = 0; i < kLines; ++i) {
        ManifestRecord record = sample_record("w" + std::to_string(writer) + "/" + std::to_string(i) + ".png");
        record.error = std::string(2000 + writer, 'a' + writer);  // lines of ~2.6 KiB
        if (!manifest->append(record).is_ok()) ::_exit(2);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto contents = read_manifest(path);
  ASSERT_TRUE(contents.is_ok());
  EXPECT_TRUE(contents->bad_lines.empty()) << contents->bad_lines.front();
  std::set<std::string> inputs;
  for (const ManifestRecord& record : contents->records) inputs.insert(record.input);
  EXPECT_EQ(inputs.size(), size_t{kWriters * kLines});
}

TEST(RunManifestTest, ReadingListsBadLinesAndKeepsTheRest) {
  testing::TestFolder dir;
  const auto path = dir.path() / "m.jsonl";
  EXPECT_EQ(read_manifest(path).status().code(), StatusCode::kNotFound);
  {
    std::ofstream out(path);
    out << to_manifest_line(sample_record("a.png")) << "garbage\n" << to_manifest_line(sample_record("b.png"))
        << "{\"input\":\"c.png\",\"sta";  // a torn tail
  }
  auto contents = read_manifest(path);
  ASSERT_TRUE(contents.is_ok());
  EXPECT_EQ(contents->records.size(), 2u);
  ASSERT_EQ(contents->bad_lines.size(), 2u);
  EXPECT_NE(contents->bad_lines[0].find("m.jsonl:2"), std::string::npos) << contents->bad_lines[0];
}

TEST(RunManifestTest, OpeningAnUnwritablePathNamesIt) {
  auto manifest = ManifestWriter::open("/nonexistent-folder/m.jsonl");
  ASSERT_FALSE(manifest.is_ok());
  EXPECT_NE(manifest.status().message().find("/nonexistent-folder/m.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace upres::pipeline
