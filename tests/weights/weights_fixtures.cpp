// Fixture generation and lookup for the weights tests.
#include "weights_fixtures.h"

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace upres::weights::testing {

std::optional<std::filesystem::path> fixture_dir(std::string* why) {
  std::filesystem::path dir = std::filesystem::path(UPRES_TEST_BINARY_DIR) / "weights_fixtures";
  if (std::filesystem::exists(dir / "manifest.json")) return dir;
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0) {
    *why = "/usr/bin/python3 with torch is not installed";
    return std::nullopt;
  }
  std::string command = std::string("/usr/bin/python3 ") + UPRES_SOURCE_DIR +
                        "/tests/reference/weights_fixtures.py '" + dir.string() + "'";
  if (std::system(command.c_str()) != 0 || !std::filesystem::exists(dir / "manifest.json")) {
    *why = "fixture script failed: " + command;
    return std::nullopt;
  }
  return dir;
}

nlohmann::json fixture_manifest(const std::filesystem::path& dir) {
  std::ifstream in(dir / "manifest.json");
  return nlohmann::json::parse(in);
}

std::vector<float> read_f32_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

std::optional<std::filesystem::path> npm_package(const std::string& name_version) {
  std::filesystem::path dir = std::filesystem::path(UPRES_SOURCE_DIR) / ".cache/npm" / name_version / "package";
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

}  // namespace upres::weights::testing
