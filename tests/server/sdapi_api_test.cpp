// /sdapi/v1 against a real server process on loopback: valid and invalid requests, limits, auth,
// and 8 clients at once.
#include <gtest/gtest.h>

#include <thread>

#include "api_test_support.h"
#include "server_process.h"

namespace upres::server::testing {
namespace {

using nlohmann::json;

class SdapiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess(test_server_path(),
                                {"--max-upload-bytes", "2000000", "--slow-ms", "3000"});
  }
  static void TearDownTestSuite() { delete server_; }
  void SetUp() override { ASSERT_GT(server_->port(), 0) << server_->startup_output(); }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60);
    return c;
  }
  static ServerProcess* server_;
};
ServerProcess* SdapiTest::server_ = nullptr;

TEST_F(SdapiTest, ListsUpscalersAndFaceRestorers) {
  auto c = client();
  json upscalers = body_json(c.Get("/sdapi/v1/upscalers"));
  ASSERT_TRUE(upscalers.is_array());
  std::vector<std::string> names;
  for (const auto& u : upscalers) {
    names.push_back(u["name"]);
    EXPECT_TRUE(u.contains("model_name") && u.contains("model_path") && u.contains("model_url") &&
                u.contains("scale"));
  }
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], "None");
  EXPECT_NE(std::find(names.begin(), names.end(), "Lanczos"), names.end());
  json restorers = body_json(c.Get("/sdapi/v1/face-restorers"));
  ASSERT_EQ(restorers.size(), 2u);
  EXPECT_EQ(restorers[0]["name"], "CodeFormer");
  EXPECT_EQ(restorers[1]["name"], "GFPGAN");
}

TEST_F(SdapiTest, SingleImageIsUpscaledWithInfotextAndPngInfoReadsItBack) {
  auto c = client();
  auto result = post_json(c, "/sdapi/v1/extra-single-image",
                          {{"image", "data:image/png;base64," + make_png_base64(20, 12)},
                           {"upscaler_1", "Lanczos"},
                           {"upscaling_resize", 3}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_TRUE(result->has_header("X-Process-Time"));
  json body = json::parse(result->body);
  EXPECT_EQ(decoded_base64_size(body["image"]), std::make_pair(60, 36));
  const std::string info = body["html_info"];
  EXPECT_EQ(info.rfind("<p>", 0), 0u);
  EXPECT_NE(info.find("Postprocess upscaler: Lanczos"), std::string::npos) << info;

  json png_info = body_json(post_json(c, "/sdapi/v1/png-info", {{"image", body["image"]}}));
  ASSERT_TRUE(png_info.contains("items")) << png_info.dump();
  EXPECT_TRUE(png_info.contains("info") && png_info.contains("parameters"));
  bool found = false;
  for (const auto& [key, value] : png_info["items"].items())
    found |= value.is_string() &&
             value.get<std::string>().find("Postprocess upscaler: Lanczos") != std::string::npos;
  EXPECT_TRUE(found) << png_info.dump();
}

TEST_F(SdapiTest, BatchAnswersEveryImageInOrder) {
  auto c = client();
  json list = json::array();
  for (int i = 0; i < 3; ++i)
    list.push_back({{"data", make_png_base64(8 + i, 5 + i)}, {"name", "p" + std::to_string(i)}});
  auto result =
      post_json(c, "/sdapi/v1/extra-batch-images",
                {{"imageList", list}, {"upscaler_1", "Nearest"}, {"upscaling_resize", 2}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json images = json::parse(result->body)["images"];
  ASSERT_EQ(images.size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(decoded_base64_size(images[i]), std::make_pair(16 + 2 * i, 10 + 2 * i));
}

struct BadRequest {
  std::string name;
  std::string body;
  int status;
  std::string field;  // the field at fault
  bool validation;    // FastAPI's 422 {"detail": [{"loc": ["body", field], ...}]}
};

TEST_F(SdapiTest, InvalidRequestsGet4xxJsonNamingTheField) {
  const std::string png = make_png_base64(4, 4);
  // Validation errors have FastAPI's shape; the rest the reference's {error, detail, body,
  // errors} plus "field" (where the reference answers 500, these answer 4xx).
  const BadRequest cases[] = {
      {"not JSON", "{\"image\": ", 422, "10", true},
      {"JSON array", "[1,2]", 422, "", true},
      {"no image", json{{"upscaler_1", "Lanczos"}}.dump(), 400, "image", false},
      {"bad base64", json{{"image", "iVBOR***"}}.dump(), 400, "image", false},
      {"not a picture", json{{"image", encode_base64(std::vector<uint8_t>(100, 'x'))}}.dump(), 0,
       "image", false},
      {"unknown upscaler", json{{"image", png}, {"upscaler_1", "ESRGAN_9x"}}.dump(), 422,
       "upscaler_1", false},
      // The reference accepts any factor > 0; a result over the output pixel limit is refused.
      {"result too large", json{{"image", png}, {"upscaling_resize", 1e6}}.dump(), 413,
       "upscaling_resize", false},
      {"wrong type", json{{"image", png}, {"gfpgan_visibility", "high"}}.dump(), 422,
       "gfpgan_visibility", true},
      {"image not a string", json{{"image", json::array()}}.dump(), 422, "image", true},
      {"image a number", json{{"image", 5}}.dump(), 400, "image", false},  // str(5) is no image
  };
  auto c = client();
  for (const BadRequest& bad : cases) {
    auto result = c.Post("/sdapi/v1/extra-single-image", bad.body, "application/json");
    ASSERT_TRUE(result) << bad.name;
    if (bad.status) EXPECT_EQ(result->status, bad.status) << bad.name << ": " << result->body;
    EXPECT_GE(result->status, 400) << bad.name;
    EXPECT_LT(result->status, 500) << bad.name << ": " << result->body;
    json body = json::parse(result->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << bad.name << ": " << result->body;
    if (bad.validation) {
      ASSERT_TRUE(body["detail"].is_array()) << bad.name << ": " << result->body;
      const json& loc = body["detail"][0]["loc"];
      EXPECT_EQ(loc[0], "body") << bad.name;
      const std::string field = loc.size() < 2 ? "" : loc[1].is_string() ? loc[1].get<std::string>() : loc[1].dump();
      EXPECT_EQ(field, bad.field) << bad.name << ": " << result->body;
    } else {
      EXPECT_TRUE(body.contains("error") && body.contains("detail") && body.contains("errors"))
          << bad.name;
      EXPECT_EQ(body.value("field", ""), bad.field) << bad.name << ": " << result->body;
    }
  }
  auto batch = post_json(c, "/sdapi/v1/extra-batch-images",
                         {{"imageList", {{{"data", png}, {"name", "a"}}, {{"data", "@@"}, {"name", "b"}}}}});
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->status, 400);
  EXPECT_EQ(body_json(batch).value("field", ""), "imageList[1]");
}

TEST_F(SdapiTest, OversizedBodyGets413) {
  auto c = client();
  std::string big = json{{"image", std::string(3'000'000, 'A')}}.dump();
  auto result = c.Post("/sdapi/v1/extra-single-image", big, "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 413);
  EXPECT_EQ(body_json(result).value("error", ""), "ResourceExhausted") << result->body;
}

TEST_F(SdapiTest, ProgressShowsTheRunningJobAndInterruptStopsIt) {
  auto c = client();
  json idle = body_json(c.Get("/sdapi/v1/progress"));
  ASSERT_TRUE(idle.contains("state")) << idle.dump();
  EXPECT_TRUE(idle["state"].contains("job_count"));

  std::thread slow([&] {
    auto slow_client = client();
    auto result = post_json(slow_client, "/sdapi/v1/extra-single-image",
                            {{"image", make_png_base64(8, 8)}, {"upscaler_1", "Slow test"}});
    ASSERT_TRUE(result);
    // Interrupted: the reference answers 200 with what it has (here no picture).
    EXPECT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(json::parse(result->body)["image"], nullptr);
  });
  json seen;
  for (int i = 0; i < 100; ++i) {
    seen = body_json(c.Get("/sdapi/v1/progress"));
    if (seen["progress"].get<double>() > 0.1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(seen["progress"].get<double>(), 0.1) << seen.dump();
  EXPECT_LT(seen["progress"].get<double>(), 1.0);
  EXPECT_GT(seen["eta_relative"].get<double>(), 0.0);
  EXPECT_EQ(seen["state"]["job_count"], 1);
  EXPECT_EQ(seen["textinfo"].get<std::string>().rfind("Slow test ", 0), 0u) << seen["textinfo"];
  auto interrupt = c.Post("/sdapi/v1/interrupt", "", "application/json");
  ASSERT_TRUE(interrupt);
  EXPECT_EQ(interrupt->status, 200);
  slow.join();
}

TEST_F(SdapiTest, EightClientsAtOnceAreAllAnsweredWithTheirOwnImage) {
  constexpr int kClients = 8;
  std::vector<std::pair<int, int>> sizes(kClients);
  std::vector<int> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = client();
      auto result = post_json(c, "/sdapi/v1/extra-single-image",
                              {{"image", make_png_base64(10 + i, 30 - i)},
                               {"upscaler_1", "Lanczos"},
                               {"upscaling_resize", 2}});
      statuses[i] = result ? result->status : -1;
      if (result && result->status == 200)
        sizes[i] = decoded_base64_size(json::parse(result->body)["image"]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(statuses[i], 200) << "client " << i;
    EXPECT_EQ(sizes[i], std::make_pair(2 * (10 + i), 2 * (30 - i))) << "client " << i;
  }
}

TEST(SdapiAuthTest, ApiAuthGuardsEveryPath) {
  ServerProcess server(test_server_path(), {"--api-auth", "alice:s3cret"});
  ASSERT_GT(server.port(), 0) << server.startup_output();
  httplib::Client anonymous("127.0.0.1", server.port());
  for (const char* path : {"/", "/sdapi/v1/upscalers", "/api/v1/options", "/sdapi/v1/progress"}) {
    auto result = anonymous.Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 401) << path;
    EXPECT_TRUE(result->has_header("WWW-Authenticate")) << path;
  }
  auto posted = anonymous.Post("/sdapi/v1/interrupt", "", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 401);

  httplib::Client wrong("127.0.0.1", server.port());
  wrong.set_basic_auth("alice", "guess");
  EXPECT_EQ(wrong.Get("/sdapi/v1/upscalers")->status, 401);
  httplib::Client right("127.0.0.1", server.port());
  right.set_basic_auth("alice", "s3cret");
  EXPECT_EQ(right.Get("/sdapi/v1/upscalers")->status, 200);
  EXPECT_EQ(right.Get("/")->status, 200);
}

}  // namespace
}  // namespace upres::server::testing
