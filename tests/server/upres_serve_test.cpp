// Smoke test of the real `upres serve` (the CLI wiring of run_server): it starts on a free
// loopback port, lists its upscalers, upscales one picture and serves the page.
#include <gtest/gtest.h>

#include "api_test_support.h"
#include "server_process.h"

namespace upres::server::testing {
namespace {

using nlohmann::json;

TEST(UpresServeTest, ServesTheApiAndThePage) {
  const auto output =
      std::filesystem::temp_directory_path() / ("upres_serve_test_" + std::to_string(::getpid()));
  ServerProcess server(UPRES_BINARY, {"serve", "--output", output.string()});
  ASSERT_GT(server.port(), 0) << server.startup_output();
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(60);
  json upscalers = body_json(client.Get("/sdapi/v1/upscalers"));
  ASSERT_TRUE(upscalers.is_array() && upscalers.size() >= 3) << upscalers.dump();
  EXPECT_EQ(upscalers[1]["name"], "Lanczos");
  auto result = post_json(
      client, "/sdapi/v1/extra-single-image",
      {{"image", make_png_base64(9, 5)}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", 2}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(decoded_base64_size(json::parse(result->body)["image"]), std::make_pair(18, 10));
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  std::filesystem::remove_all(output);
}

}  // namespace
}  // namespace upres::server::testing
