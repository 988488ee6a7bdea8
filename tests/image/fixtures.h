// Test fixtures for the image module: a per-test scratch folder under the build tree and the
// PIL script (tests/image/make_fixtures.py) that fills it. Not thread-safe (tests run serially).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace upres::image::testing {

// An empty folder for the running test: <build>/tests/image/fixtures/<Suite>.<Test>.
inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(UPRES_BINARY_DIR) / "fixtures" /
                                    (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// `path` in single quotes for the shell (test paths hold no quotes).
inline std::string shell_quote(const std::filesystem::path& path) {
  std::string out = "'";
  out += path.string();
  out += '\'';
  return out;
}

// Runs make_fixtures.py KIND DIR ARGS... with /usr/bin/python3; true on success.
inline bool make_fixture(const std::string& kind, const std::filesystem::path& dir,
                         const std::string& args = "") {
  std::string command = "/usr/bin/python3 ";
  command += shell_quote(std::filesystem::path(UPRES_SOURCE_DIR) / "tests/image/make_fixtures.py");
  command += " " + kind + " ";
  command += shell_quote(dir);
  command += " " + args;
  return std::system(command.c_str()) == 0;
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace upres::image::testing
