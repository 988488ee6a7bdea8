// /sdapi/v1 against recorded reference behaviour: each expected body was written from the
// reference's source (AUTOMATIC1111 stable-diffusion-webui 1.10: modules/api/api.py and
// models.py on FastAPI 0.94 / pydantic 1.10 / Starlette 0.26): status, JSON shape, field names,
// pydantic v1 messages and types. Runs a real server process on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api_test_support.h"
#include "image/png_text_chunks.h"
#include "server_process.h"

namespace upres::server::testing {
namespace {

using nlohmann::json;

json error_entry(json loc, const std::string& msg, const std::string& type) {
  return {{"loc", std::move(loc)}, {"msg", msg}, {"type", type}};
}

class SdapiReferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess(test_server_path(), {"--slow-ms", "2000"});
  }
  static void TearDownTestSuite() { delete server_; }
  void SetUp() override { ASSERT_GT(server_->port(), 0) << server_->startup_output(); }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30);
    return c;
  }
  // The body's "detail" entries without their "ctx" (compared separately where it matters).
  static json detail_without_ctx(const json& body) {
    json out = json::array();
    for (json entry : body.value("detail", json::array())) {
      entry.erase("ctx");
      out.push_back(entry);
    }
    return out;
  }
  static ServerProcess* server_;
};
ServerProcess* SdapiReferenceTest::server_ = nullptr;

TEST_F(SdapiReferenceTest, PydanticCoercesStringsAndBooleansLikeV1) {
  auto c = client();
  auto result = post_json(c, "/sdapi/v1/extra-single-image",
                          {{"image", make_png_base64(10, 6)},
                           {"upscaler_1", "Lanczos"},
                           {"upscaling_resize", "2"},   // float("2")
                           {"upscaling_crop", "yes"},   // pydantic's BOOL_TRUE
                           {"show_extras_results", 0},  // BOOL_FALSE
                           {"resize_mode", 0.0},        // Literal[0, 1]: 0.0 == 0
                           {"upscale_first", "off"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(decoded_base64_size(json::parse(result->body)["image"]), std::make_pair(20, 12));
  auto scaled_to = post_json(c, "/sdapi/v1/extra-single-image",
                             {{"image", make_png_base64(10, 6)},
                              {"upscaler_1", "Lanczos"},
                              {"resize_mode", true},            // True == 1
                              {"upscaling_resize_w", 30.9},     // int(30.9) == 30
                              {"upscaling_resize_h", " 18 "}}); // int(" 18 ")
  ASSERT_TRUE(scaled_to);
  ASSERT_EQ(scaled_to->status, 200) << scaled_to->body;
  EXPECT_EQ(decoded_base64_size(json::parse(scaled_to->body)["image"]), std::make_pair(30, 18));
}

TEST_F(SdapiReferenceTest, ValidationErrorsAre422WithEveryFieldInModelOrder) {
  auto c = client();
  auto result = post_json(c, "/sdapi/v1/extra-single-image",
                          {{"upscaler_1", json::array({"x"})},
                           {"upscaling_crop", "maybe"},
                           {"upscaling_resize_w", "1.5"},
                           {"upscaling_resize", "abc"},
                           {"gfpgan_visibility", 2},
                           {"codeformer_weight", nullptr},
                           {"resize_mode", 3},
                           {"image", json::object()}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 422);
  const json body = json::parse(result->body);
  ASSERT_EQ(body.size(), 1u) << result->body;  // {"detail": [...]} and nothing else
  const json expected = json::array({
      error_entry({"body", "resize_mode"}, "unexpected value; permitted: 0, 1", "value_error.const"),
      error_entry({"body", "gfpgan_visibility"}, "ensure this value is less than or equal to 1",
                  "value_error.number.not_le"),
      error_entry({"body", "codeformer_weight"}, "none is not an allowed value",
                  "type_error.none.not_allowed"),
      error_entry({"body", "upscaling_resize"}, "value is not a valid float", "type_error.float"),
      error_entry({"body", "upscaling_resize_w"}, "value is not a valid integer",
                  "type_error.integer"),
      error_entry({"body", "upscaling_crop"}, "value could not be parsed to a boolean",
                  "type_error.bool"),
      error_entry({"body", "upscaler_1"}, "str type expected", "type_error.str"),
      error_entry({"body", "image"}, "str type expected", "type_error.str"),
  });
  EXPECT_EQ(detail_without_ctx(body), expected) << result->body;
  EXPECT_EQ(body["detail"][0]["ctx"], (json{{"given", 3}, {"permitted", {0, 1}}}));
  EXPECT_EQ(body["detail"][1]["ctx"], (json{{"limit_value", 1}}));
}

TEST_F(SdapiReferenceTest, RangesAreTheReferenceModels) {
  auto c = client();
  const std::string png = make_png_base64(4, 4);
  auto zero = post_json(c, "/sdapi/v1/extra-single-image",
                        {{"image", png}, {"upscaling_resize", 0}, {"upscaling_resize_h", 0},
                         {"extras_upscaler_2_visibility", "nan"}});
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->status, 422);
  EXPECT_EQ(detail_without_ctx(json::parse(zero->body)),
            json::array({error_entry({"body", "upscaling_resize"}, "ensure this value is greater than 0",
                                     "value_error.number.not_gt"),
                         error_entry({"body", "upscaling_resize_h"},
                                     "ensure this value is greater than or equal to 1",
                                     "value_error.number.not_ge"),
                         error_entry({"body", "extras_upscaler_2_visibility"},
                                     "ensure this value is a finite number",
                                     "value_error.number.not_finite_number")}))
      << zero->body;
}

TEST_F(SdapiReferenceTest, FactorsBelowOneDownscaleWithLanczos) {
  auto c = client();
  auto result = post_json(c, "/sdapi/v1/extra-single-image",
                          {{"image", make_png_base64(20, 12)}, {"upscaler_1", "Slow test"},
                           {"upscaling_resize", 0.5}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const json body = json::parse(result->body);
  // The reference never runs an upscaler to shrink: a quick Lanczos resize, named as asked.
  EXPECT_EQ(decoded_base64_size(body["image"]), std::make_pair(10, 6));
  EXPECT_EQ(body["html_info"], "<p>Postprocess upscale by: 0.5, Postprocess upscaler: Slow test</p>");
}

// The reference takes any factor > 0 (no upper bound in ExtrasBaseRequest); here a factor past 16
// runs, and one whose picture is over the output pixel limit is refused naming that size.
TEST_F(SdapiReferenceTest, AnyFactorAboveSixteenIsTakenWithinTheOutputPixelLimit) {
  auto c = client();
  auto big = post_json(c, "/sdapi/v1/extra-single-image",
                       {{"image", make_png_base64(3, 2)}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", 20}});
  ASSERT_TRUE(big);
  ASSERT_EQ(big->status, 200) << big->body;
  EXPECT_EQ(decoded_base64_size(json::parse(big->body)["image"]), std::make_pair(60, 40));
  for (double factor : {40000.0, 1e9}) {
    auto huge = post_json(c, "/sdapi/v1/extra-single-image",
                          {{"image", make_png_base64(3, 2)}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", factor}});
    ASSERT_TRUE(huge);
    EXPECT_EQ(huge->status, 413) << factor << ": " << huge->body;
    const std::string expected_size = factor == 1e9 ? "3000000000x2000000000" : "120000x80000";
    EXPECT_NE(huge->body.find("would be " + expected_size), std::string::npos) << huge->body;
  }
}

TEST_F(SdapiReferenceTest, AnswerTextChunksAreEncodePilToBase64s) {
  // read_info_from_image pops `parameters` and the run re-adds it after the other items, then
  // sets `postprocessing`; the API answer has no `extras` item.
  auto source = image::insert_png_text_chunks(
      make_png(6, 4), {{"parameters", "a cat\nSteps: 20, Sampler: Euler a, Seed: 1"}, {"other", "x"}});
  ASSERT_TRUE(source.is_ok());
  auto c = client();
  auto result = post_json(c, "/sdapi/v1/extra-single-image",
                          {{"image", encode_base64(*source)}, {"upscaler_1", "Nearest"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto png = decode_base64(json::parse(result->body)["image"].get<std::string>(), "image");
  ASSERT_TRUE(png.is_ok());
  auto text = image::read_png_text_chunks(*png, "answer");
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(*text, (image::TextChunks{{"other", "x"},
                                      {"parameters", "a cat\nSteps: 20, Sampler: Euler a, Seed: 1"},
                                      {"postprocessing", "Postprocess upscale by: 2, Postprocess upscaler: Nearest"}}));
}

TEST_F(SdapiReferenceTest, BodyProblemsAnswerAsFastApi) {
  auto c = client();
  auto malformed = c.Post("/sdapi/v1/extra-single-image", "{\"image\": ", "application/json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 422);
  const json entry = json::parse(malformed->body)["detail"][0];
  EXPECT_EQ(entry["loc"], json::array({"body", 10}));
  EXPECT_EQ(entry["msg"], "Expecting value: line 1 column 11 (char 10)");
  EXPECT_EQ(entry["type"], "value_error.jsondecode");
  EXPECT_EQ(entry["ctx"]["msg"], "Expecting value");
  EXPECT_EQ(entry["ctx"]["pos"], 10);
  EXPECT_EQ(entry["ctx"]["lineno"], 1);
  EXPECT_EQ(entry["ctx"]["colno"], 11);

  auto no_comma = c.Post("/sdapi/v1/png-info", "{\n \"a\": 1\n \"b\": 2}", "application/json");
  ASSERT_TRUE(no_comma);
  EXPECT_EQ(json::parse(no_comma->body)["detail"][0]["msg"],
            "Expecting ',' delimiter: line 3 column 2 (char 11)");

  auto array = c.Post("/sdapi/v1/extra-batch-images", "[1, 2]", "application/json");
  ASSERT_TRUE(array);
  EXPECT_EQ(array->status, 422);
  EXPECT_EQ(json::parse(array->body),
            (json{{"detail", {error_entry({"body"}, "value is not a valid dict", "type_error.dict")}}}));

  // No body at all: FastAPI's "field required" for the whole body, answered at once.
  const auto started = std::chrono::steady_clock::now();
  auto empty = c.Post("/sdapi/v1/extra-single-image");
  ASSERT_TRUE(empty);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(empty->status, 422);
  EXPECT_EQ(json::parse(empty->body),
            (json{{"detail", {error_entry({"body"}, "field required", "value_error.missing")}}}));
}

TEST_F(SdapiReferenceTest, BatchFieldsAndEmptyList) {
  auto c = client();
  auto empty = post_json(c, "/sdapi/v1/extra-batch-images", {{"imageList", json::array()}});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200) << empty->body;
  EXPECT_EQ(json::parse(empty->body), (json{{"html_info", "<p></p>"}, {"images", json::array()}}));

  auto missing = post_json(c, "/sdapi/v1/extra-batch-images",
                           {{"imageList", {{{"data", make_png_base64(4, 4)}}, 7}}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 422);
  EXPECT_EQ(json::parse(missing->body)["detail"],
            json::array({error_entry({"body", "imageList", 0, "name"}, "field required",
                                     "value_error.missing"),
                          error_entry({"body", "imageList", 1}, "value is not a valid dict",
                                      "type_error.dict")}));
  auto no_list = post_json(c, "/sdapi/v1/extra-batch-images", json::object());
  ASSERT_TRUE(no_list);
  EXPECT_EQ(json::parse(no_list->body)["detail"],
            json::array({error_entry({"body", "imageList"}, "field required", "value_error.missing")}));
}

TEST_F(SdapiReferenceTest, RoutingErrorsAreStarlettes) {
  auto c = client();
  auto get_on_post = c.Get("/sdapi/v1/extra-single-image");
  ASSERT_TRUE(get_on_post);
  EXPECT_EQ(get_on_post->status, 405);
  EXPECT_EQ(json::parse(get_on_post->body), (json{{"detail", "Method Not Allowed"}}));
  EXPECT_EQ(get_on_post->get_header_value("Allow"), "POST");
  auto post_on_get = c.Post("/sdapi/v1/upscalers", "{}", "application/json");
  ASSERT_TRUE(post_on_get);
  EXPECT_EQ(post_on_get->status, 405);
  auto unknown = c.Get("/sdapi/v1/no-such-endpoint");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body), (json{{"detail", "Not Found"}}));
}

TEST_F(SdapiReferenceTest, InterruptAnswersAnEmptyObjectAndSkipNull) {
  auto c = client();
  auto interrupt = c.Post("/sdapi/v1/interrupt");
  ASSERT_TRUE(interrupt);
  EXPECT_EQ(interrupt->status, 200);
  EXPECT_EQ(json::parse(interrupt->body), json::object());
  auto skip = c.Post("/sdapi/v1/skip");
  ASSERT_TRUE(skip);
  EXPECT_EQ(skip->status, 200);
  EXPECT_EQ(json::parse(skip->body), nullptr);
}

TEST_F(SdapiReferenceTest, PngInfoParsesParametersAsTheReference) {
  const std::vector<uint8_t> plain = make_png(6, 4);
  auto with_text = image::insert_png_text_chunks(
      plain, {{"parameters", "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, Size: 512x768"},
              {"extras", "Postprocess upscaler: Lanczos"}});
  ASSERT_TRUE(with_text.is_ok());
  auto c = client();
  auto result = post_json(c, "/sdapi/v1/png-info", {{"image", "  " + encode_base64(*with_text) + "\n"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const json body = json::parse(result->body);
  EXPECT_EQ(body["info"], "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, Size: 512x768");
  EXPECT_EQ(body["items"], (json{{"extras", "Postprocess upscaler: Lanczos"}}));
  const json& p = body["parameters"];
  EXPECT_EQ(p["Prompt"], "a cat");
  EXPECT_EQ(p["Negative prompt"], "dog");
  EXPECT_EQ(p["Steps"], "20");
  EXPECT_EQ(p["Size-1"], "512");
  EXPECT_EQ(p["Size-2"], "768");
  EXPECT_EQ(p["Clip skip"], "1");

  auto missing = post_json(c, "/sdapi/v1/png-info", json::object());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 422);
  EXPECT_EQ(json::parse(missing->body)["detail"],
            json::array({error_entry({"body", "image"}, "field required", "value_error.missing")}));
  auto garbage = post_json(c, "/sdapi/v1/png-info", {{"image", "@@@"}});
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(json::parse(garbage->body)["detail"], "Invalid encoded image");
}

// Polls /sdapi/v1/progress until `done` says so (or 10 s pass); the last answer.
json poll_progress(httplib::Client& c, const std::string& query,
                   const std::function<bool(const json&)>& done) {
  json seen;
  for (int i = 0; i < 400; ++i) {
    seen = body_json(c.Get(("/sdapi/v1/progress" + query).c_str()));
    if (done(seen)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return seen;
}

TEST_F(SdapiReferenceTest, ProgressMovesInsideAPictureWithItsStepAndCurrentImage) {
  auto c = client();
  std::thread job([&] {
    auto own = client();
    auto result = post_json(own, "/sdapi/v1/extra-single-image",
                            {{"image", make_png_base64(9, 7)}, {"upscaler_1", "Slow test"}});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << result->body;  // interrupted: answered, not an error
    EXPECT_EQ(json::parse(result->body)["image"], nullptr);
  });
  const json early = poll_progress(c, "", [](const json& p) {
    return p["state"]["sampling_step"].get<long>() >= 3 && p["current_image"].is_string();
  });
  ASSERT_TRUE(early["current_image"].is_string()) << early.dump().substr(0, 300);
  EXPECT_EQ(decoded_base64_size(early["current_image"]), std::make_pair(9, 7));
  EXPECT_EQ(early["state"]["sampling_steps"], 20);
  EXPECT_EQ(early["state"]["job"], "extras");
  EXPECT_EQ(early["state"]["job_count"], 1);
  const long step = early["state"]["sampling_step"];
  // The reference's formula: 0.01 + job_no/job_count + step share.
  EXPECT_NEAR(early["progress"].get<double>(), 0.01 + step / 20.0, 0.051);
  EXPECT_EQ(early["textinfo"].get<std::string>().rfind("Slow test ", 0), 0u) << early["textinfo"];
  EXPECT_NE(early["textinfo"].get<std::string>().find("/20"), std::string::npos);
  const json later = poll_progress(c, "?skip_current_image=true", [&](const json& p) {
    return p["state"]["sampling_step"].get<long>() > step + 2;
  });
  EXPECT_GT(later["progress"].get<double>(), early["progress"].get<double>());
  EXPECT_EQ(later["current_image"], nullptr);
  auto bad_flag = c.Get("/sdapi/v1/progress?skip_current_image=perhaps");
  ASSERT_TRUE(bad_flag);
  EXPECT_EQ(bad_flag->status, 422);
  EXPECT_EQ(json::parse(bad_flag->body)["detail"][0]["loc"],
            json::array({"query", "skip_current_image"}));
  EXPECT_EQ(json::parse(c.Post("/sdapi/v1/interrupt")->body), json::object());
  job.join();
  const json idle = body_json(c.Get("/sdapi/v1/progress"));
  EXPECT_EQ(idle["progress"], 0);
  EXPECT_EQ(idle["textinfo"], nullptr);
}

TEST_F(SdapiReferenceTest, SkipMovesABatchToTheNextImage) {
  auto c = client();
  std::thread job([&] {
    auto own = client();
    auto result = post_json(own, "/sdapi/v1/extra-batch-images",
                            {{"imageList", {{{"data", make_png_base64(5, 3)}, {"name", "a"}},
                                            {{"data", make_png_base64(7, 2)}, {"name", "b"}}}},
                             {"upscaler_1", "Slow test"},
                             {"upscaling_resize", 2}});
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const json images = json::parse(result->body)["images"];
    ASSERT_EQ(images.size(), 1u);  // the first was skipped
    EXPECT_EQ(decoded_base64_size(images[0]), std::make_pair(14, 4));
  });
  poll_progress(c, "?skip_current_image=true",
                [](const json& p) { return p["state"]["sampling_step"].get<long>() >= 2; });
  EXPECT_EQ(json::parse(c.Post("/sdapi/v1/skip")->body), nullptr);
  const json second = poll_progress(c, "?skip_current_image=true",
                                    [](const json& p) { return p["state"]["job_no"] == 1; });
  EXPECT_EQ(second["state"]["job_no"], 1);
  EXPECT_GE(second["progress"].get<double>(), 0.5);
  job.join();
}

TEST(SdapiReferenceAuthCorsTest, SeveralUsersCorsAndRoutingBeforeAuth) {
  ServerProcess server(test_server_path(),
                       {"--api-auth", "alice:s3cret,bob:pa:ss", "--cors-allow-origins",
                        "https://a.example,https://c.example", "--cors-allow-origins-regex",
                        "https://[a-z]+\\.b\\.example"});
  ASSERT_GT(server.port(), 0) << server.startup_output();
  httplib::Client anonymous("127.0.0.1", server.port());
  auto refused = anonymous.Get("/sdapi/v1/upscalers");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(json::parse(refused->body),
            (json{{"error", "HTTPException"}, {"detail", "Not authenticated"}, {"body", ""}, {"errors", ""}}));
  for (auto [user, password] : {std::pair{"alice", "s3cret"}, std::pair{"bob", "pa:ss"}}) {
    httplib::Client c("127.0.0.1", server.port());
    c.set_basic_auth(user, password);
    auto ok = c.Get("/sdapi/v1/upscalers");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << user;
  }
  httplib::Client wrong("127.0.0.1", server.port());
  wrong.set_basic_auth("bob", "s3cret");
  auto incorrect = wrong.Get("/sdapi/v1/upscalers");
  ASSERT_TRUE(incorrect);
  EXPECT_EQ(incorrect->status, 401);
  EXPECT_EQ(json::parse(incorrect->body)["detail"], "Incorrect username or password");
  // Starlette routes before the auth dependency runs.
  EXPECT_EQ(anonymous.Get("/sdapi/v1/nothing")->status, 404);
  EXPECT_EQ(anonymous.Get("/sdapi/v1/interrupt")->status, 405);

  // Preflights are answered by the CORS middleware, before authentication.
  auto preflight = anonymous.Options(
      "/sdapi/v1/extra-single-image",
      {{"Origin", "https://x.b.example"},
       {"Access-Control-Request-Method", "POST"},
       {"Access-Control-Request-Headers", "content-type, authorization"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 200);
  EXPECT_EQ(preflight->body, "OK");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "https://x.b.example");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Methods"),
            "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Headers"), "content-type, authorization");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(preflight->get_header_value_count("Access-Control-Allow-Credentials"), 1u);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Max-Age"), "600");
  EXPECT_EQ(preflight->get_header_value("Vary"), "Origin");
  auto foreign = anonymous.Options("/sdapi/v1/upscalers", {{"Origin", "https://evil.example"},
                                                           {"Access-Control-Request-Method", "GET"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 400);
  EXPECT_EQ(foreign->body, "Disallowed CORS origin");
  EXPECT_FALSE(foreign->has_header("Access-Control-Allow-Origin"));

  httplib::Client browser("127.0.0.1", server.port());
  browser.set_basic_auth("alice", "s3cret");
  auto simple = browser.Get("/sdapi/v1/upscalers", {{"Origin", "https://c.example"}});
  ASSERT_TRUE(simple);
  EXPECT_EQ(simple->get_header_value("Access-Control-Allow-Origin"), "https://c.example");
  EXPECT_EQ(simple->get_header_value("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(simple->get_header_value_count("Access-Control-Allow-Origin"), 1u);
  EXPECT_EQ(simple->get_header_value("Vary"), "Origin");
  auto other = browser.Get("/sdapi/v1/upscalers", {{"Origin", "https://b.example"}});
  ASSERT_TRUE(other);  // the regex must match the whole origin
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
}

}  // namespace
}  // namespace upres::server::testing
