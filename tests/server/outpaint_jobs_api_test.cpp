// Outpaint jobs in the native /api/v1 job API ("kind": "outpaint"), against a real server process:
// the canvas size, the original pixels untouched in the middle, progress, saved results, the
// option table, and bad options answered 4xx (or a failed job) naming the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api_test_support.h"
#include "batch_server_fixture.h"

namespace upres::server::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class OutpaintJobsApiTest : public BatchServerFixture {
 protected:
  OutpaintJobsApiTest() : BatchServerFixture("upres_outpaint_api_", /*read_timeout_s=*/60, /*job_polls=*/600) {}
  void SetUp() override {
    BatchServerFixture::SetUp();
    write_bytes(base_ / "root" / "scans" / "a.png", make_png(12, 8));
    write_bytes(base_ / "root" / "scans" / "b.png", make_png(9, 9));
    start_server();
  }
  httplib::Result post_upload(const std::vector<uint8_t>& picture, const json& options,
                              const std::string& kind = "outpaint") {
    httplib::MultipartFormDataItems items = {{"kind", kind, "", "text/plain"},
                                             {"options", options.dump(), "", "application/json"},
                                             {"images", std::string(picture.begin(), picture.end()), "photo.png",
                                              "image/png"}};
    auto c = client();
    return c.Post("/api/v1/jobs", items);
  }
  std::string upload(const std::vector<uint8_t>& picture, const json& options) {
    return created_job_id(post_upload(picture, options));
  }
};

image::Image decode(const std::string& bytes) {
  return image::decode_image(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "result")
      .value();
}

TEST_F(OutpaintJobsApiTest, AspectJobGivesTheCanvasWithTheOriginalUnchangedInTheMiddle) {
  // 4:3, big enough that PatchMatch runs for a few of the event stream's 100 ms ticks.
  const std::vector<uint8_t> png = make_png(256, 192);
  const std::string id = upload(png, {{"outpaint_aspect", "16:9"}, {"outpaint_fill", "patchmatch"},
                                      {"outpaint_mask_blur", 4}, {"outpaint_seed", 7}});
  ASSERT_FALSE(id.empty());
  auto c = client();
  std::string stream;  // followed to the end: the job's progress as the page sees it
  auto events = c.Get(("/api/v1/jobs/" + id + "/events").c_str(), [&](const char* data, size_t size) {
    stream.append(data, size);
    return true;
  });
  ASSERT_TRUE(events);
  EXPECT_NE(stream.find("\"stage\":\"PatchMatch outpaint\""), std::string::npos) << stream;
  ASSERT_NE(stream.find("event: done"), std::string::npos) << stream;

  json job = wait_done(id);
  ASSERT_EQ(job["state"], "done") << job.dump();
  ASSERT_EQ(job["results"].size(), 1u);
  const json& result = job["results"][0];
  EXPECT_EQ(result["width"], 341);  // round(192 * 16 / 9)
  EXPECT_EQ(result["height"], 192);
  const std::string infotext = result["infotext"];
  EXPECT_NE(infotext.find("Postprocess outpaint to: 341x192"), std::string::npos) << infotext;
  EXPECT_NE(infotext.find("Postprocess outpaint fill: PatchMatch"), std::string::npos) << infotext;
  EXPECT_NE(infotext.find("Postprocess outpaint seed: 7"), std::string::npos) << infotext;
  EXPECT_TRUE(fs::exists(result["saved_path"].get<std::string>())) << result.dump();

  auto download = c.Get(result["url"].get<std::string>().c_str());
  ASSERT_TRUE(download);
  ASSERT_EQ(download->status, 200);
  EXPECT_EQ(download->get_header_value("Content-Type"), "image/png");
  const image::Image out = decode(download->body);
  const image::Image original = decode(std::string(png.begin(), png.end()));
  ASSERT_EQ(out.width(), 341);
  ASSERT_EQ(out.height(), 192);
  ASSERT_EQ(out.channels(), original.channels());
  const int left = (341 - 256) / 2;  // centred; the odd pixel goes right
  int differing = 0;
  for (int y = 0; y < 192; ++y)
    for (int x = 0; x < 256; ++x)
      for (int ch = 0; ch < original.channels(); ++ch) differing += out.at(left + x, y, ch) != original.at(x, y, ch);
  EXPECT_EQ(differing, 0);
  // The new border is synthesised, not left black: its mean is near the picture's.
  double border_sum = 0, original_sum = 0;
  for (int y = 0; y < 192; ++y)
    for (int x = 0; x < left; ++x) border_sum += out.at(x, y, 0);
  for (int y = 0; y < 192; ++y)
    for (int x = 0; x < 256; ++x) original_sum += original.at(x, y, 0);
  EXPECT_NEAR(border_sum / (192.0 * left), original_sum / (192.0 * 256), 0.2);
}

TEST_F(OutpaintJobsApiTest, BadOptionsAre4xxNamingTheField) {
  struct Case {
    json options;
    std::string kind;
    std::string field;
  };
  const Case cases[] = {
      {json::object(), "outpaint", "outpaint_aspect"},
      {{{"outpaint_aspect", "16-9"}}, "outpaint", "outpaint_aspect"},
      {{{"outpaint_aspect", "0:9"}}, "outpaint", "outpaint_aspect"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_to", "100x100"}}, "outpaint", "outpaint_to"},
      {{{"outpaint_to", "100 by 100"}}, "outpaint", "outpaint_to"},
      {{{"outpaint_expand", "-4,0,0,0"}}, "outpaint", "outpaint_expand"},
      {{{"outpaint_expand", json::array({0, 0, 0, 0})}}, "outpaint", "outpaint_expand"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_fill", "magic"}}, "outpaint", "outpaint_fill"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_mask_blur", -1}}, "outpaint", "outpaint_mask_blur"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_mask_blur", 2.5}}, "outpaint", "outpaint_mask_blur"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_mask_blur", true}}, "outpaint", "outpaint_mask_blur"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_seed", "x"}}, "outpaint", "outpaint_seed"},
      {{{"outpaint_expand", 8}, {"outpaint_directions", "left"}}, "outpaint", "outpaint_directions"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_directions", "sideways"}}, "outpaint", "outpaint_directions"},
      {{{"outpaint_aspect", "16:9"}, {"outpaint_color", "ff0000"}}, "outpaint", "outpaint_color"},
      {{{"outpaint_aspect", "16:9"}}, "warp", "kind"},
  };
  for (const Case& bad : cases) {
    auto result = post_upload(make_png(8, 6), bad.options, bad.kind);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 422) << bad.options.dump() << " " << result->body;
    const json body = body_json(result);
    EXPECT_EQ(body.value("field", ""), bad.field) << bad.options.dump() << " " << result->body;
    // An API user never typed a command-line flag.
    EXPECT_EQ(body.value("detail", "").find("--"), std::string::npos) << result->body;
  }
}

TEST_F(OutpaintJobsApiTest, AnAskThePictureCannotTakeFailsNamingTheField) {
  // An upload's size is known only once it is decoded: the job fails, naming the option.
  const std::string smaller = upload(make_png(40, 30), {{"outpaint_to", "30x30"}});
  const std::string huge = upload(make_png(40, 30), {{"outpaint_to", "60000x60000"}});
  const std::string forbidden =
      upload(make_png(40, 30), {{"outpaint_aspect", "16:9"}, {"outpaint_directions", json::array({"up", "down"})}});
  const std::pair<std::string, std::string> expected[] = {
      {smaller, "InvalidArgument"}, {huge, "ResourceExhausted"}, {forbidden, "InvalidArgument"}};
  for (const auto& [id, code] : expected) {
    ASSERT_FALSE(id.empty());
    json job = wait_done(id);
    EXPECT_EQ(job["state"], "failed") << job.dump();
    EXPECT_EQ(job["error"].value("error", ""), code) << job.dump();
    EXPECT_EQ(job["error"].value("field", ""), id == forbidden ? "outpaint_aspect" : "outpaint_to") << job.dump();
    EXPECT_EQ(job["error"].value("detail", "").find("--directions"), std::string::npos) << job.dump();
  }
  EXPECT_TRUE(fs::is_empty(base_ / "outputs"));

  // A batch from a folder is planned from the headers before it starts: 422 at once.
  auto c = client();
  auto result = post_json(c, "/api/v1/jobs",
                          {{"kind", "outpaint"}, {"input_dir", "scans"}, {"options", {{"outpaint_to", "10x10"}}}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 422) << result->body;
  EXPECT_EQ(body_json(result).value("field", ""), "outpaint_to") << result->body;
  EXPECT_TRUE(fs::is_empty(base_ / "outputs"));
}

TEST_F(OutpaintJobsApiTest, BatchFromDirectoryExpandsEveryPictureAndSavesIt) {
  auto c = client();
  auto result = post_json(c, "/api/v1/jobs",
                          {{"kind", "outpaint"},
                           {"input_dir", "scans"},
                           {"output_dir", "wide"},
                           {"options", {{"outpaint_expand", json::array({3, 0, 5, 2})}, {"outpaint_fill", "mirror"}}}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 202) << result->body;
  json job = wait_done(json::parse(result->body)["id"]);
  ASSERT_EQ(job["state"], "done") << job.dump();
  ASSERT_EQ(job["results"].size(), 2u);
  const std::pair<const char*, std::pair<int, int>> expected[] = {{"a.png", {20, 10}}, {"b.png", {17, 11}}};
  for (const auto& [name, size] : expected) {
    auto saved = image::read_image_size(base_ / "outputs" / "wide" / name);
    ASSERT_TRUE(saved.is_ok()) << name << " " << saved.status().to_string();
    EXPECT_EQ(*saved, size) << name;
  }
}

TEST_F(OutpaintJobsApiTest, OptionsListTheOutpaintTableAndFillEngines) {
  auto c = client();
  json options = body_json(c.Get("/api/v1/options"));
  ASSERT_TRUE(options["outpaint"]["options"].is_array()) << options.dump();
  std::vector<std::string> names, engines;
  for (const json& option : options["outpaint"]["options"]) names.push_back(option["name"]);
  for (const json& engine : options["outpaint"]["fill_engines"]) engines.push_back(engine["name"]);
  for (const char* name : {"outpaint_aspect", "outpaint_to", "outpaint_expand", "outpaint_directions",
                           "outpaint_fill", "outpaint_mask_blur", "outpaint_seed"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  for (const char* engine : {"patchmatch", "edge", "mirror", "color"})
    EXPECT_NE(std::find(engines.begin(), engines.end(), engine), engines.end()) << engine;
}

}  // namespace
}  // namespace upres::server::testing
