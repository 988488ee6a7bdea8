// Every kind of PNG upres writes (CLI upscale, CLI outpaint, an /sdapi/v1 answer) carries its
// infotext before the first IDAT, so PIL's Image.open(f).info shows it without load(), as it does
// for the reference UI's own files. Uses /usr/bin/python3 with Debian's PIL (scripts/setup.sh
// --tests installs python3-pil).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "api_test_support.h"
#include "image/png_text_chunks.h"
#include "server_process.h"

namespace upres::server::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A path as one single-quoted shell word.
std::string quoted(const fs::path& path) {
  std::string word(1, '\'');
  word += path.string();
  word += '\'';
  return word;
}

// Runs `command` through /bin/sh; stdout and stderr together, and the exit code.
std::pair<int, std::string> run_shell(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(PngTextPilTest, InfotextIsVisibleBeforeThePixelsAreLoaded) {
  const fs::path dir = fs::temp_directory_path() / ("upres_png_text_pil_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string parameters = "a cat\nSteps: 20, Sampler: Euler a, Size: 12x8";
  // `parameters` first: the reference moves it after the source's other items.
  auto input = image::insert_png_text_chunks(make_png(12, 8), {{"parameters", parameters}, {"workflow", "x"}});
  ASSERT_TRUE(input.is_ok());
  write_bytes(dir / "in.png", *input);

  auto upscaled = run_shell(std::string(UPRES_BINARY) + " upscale " + quoted(dir / "in.png") +
                            " --scale 2 --upscaler Lanczos -o " + quoted(dir / "upscale"));
  ASSERT_EQ(upscaled.first, 0) << upscaled.second;
  auto outpainted = run_shell(std::string(UPRES_BINARY) + " outpaint " + quoted(dir / "in.png") +
                              " --aspect 16:9 -o " + quoted(dir / "outpaint"));
  ASSERT_EQ(outpainted.first, 0) << outpainted.second;
  {
    ServerProcess server(UPRES_TEST_SERVER, {});
    ASSERT_GT(server.port(), 0) << server.startup_output();
    httplib::Client client("127.0.0.1", server.port());
    auto answer = post_json(client, "/sdapi/v1/extra-single-image",
                            {{"image", encode_base64(*input)}, {"upscaler_1", "Lanczos"}});
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    auto bytes = decode_base64(json::parse(answer->body)["image"].get<std::string>(), "image");
    ASSERT_TRUE(bytes.is_ok());
    write_bytes(dir / "server.png", *bytes);
  }

  const fs::path files[] = {dir / "upscale/00000.png", dir / "outpaint/00000.png", dir / "server.png"};
  std::string command = "/usr/bin/python3 ";
  command += quoted(fs::path(UPRES_SOURCE_DIR) / "tests/server/pil_png_info.py");
  for (const fs::path& file : files) {
    command += ' ';
    command += quoted(file);
  }
  auto [code, output] = run_shell(command);
  ASSERT_EQ(code, 0) << "PIL (python3-pil for /usr/bin/python3) is needed: " << output;
  const nlohmann::ordered_json info = nlohmann::ordered_json::parse(output, nullptr, false);
  ASSERT_TRUE(info.is_object()) << output;
  for (const fs::path& file : files) {
    const nlohmann::ordered_json& items = info[file.string()];
    ASSERT_TRUE(items.contains("postprocessing")) << file << ": " << items.dump();
    EXPECT_NE(items["postprocessing"].get<std::string>().find("Postprocess "), std::string::npos);
    EXPECT_EQ(items.value("parameters", ""), parameters) << file;  // the source's, kept
  }
  EXPECT_EQ(info[files[0].string()].value("extras", ""),
            "Postprocess upscale by: 2, Postprocess upscaler: Lanczos");
  EXPECT_TRUE(info[files[1].string()].contains("extras"));
  EXPECT_FALSE(info[files[2].string()].contains("extras"));  // as the reference's API answers
  // The reference's order (postprocessing.py + save_image_with_geninfo), PIL's as it reads them.
  auto keys_of = [&](const fs::path& file) {
    std::vector<std::string> keys;
    for (const auto& item : info[file.string()].items())
      if (item.key() != "upres-source") keys.push_back(item.key());  // upres's own stamp, last
    return keys;
  };
  EXPECT_EQ(keys_of(files[0]), (std::vector<std::string>{"workflow", "parameters", "postprocessing", "extras"}));
  EXPECT_EQ(keys_of(files[2]), (std::vector<std::string>{"workflow", "parameters", "postprocessing"}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace upres::server::testing
