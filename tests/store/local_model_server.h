// LocalModelServer: runs tests/store/model_server.py on a free 127.0.0.1 port for one test and
// stops it (by its process id) on destruction. Also temp folders and shell helpers for the tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace upres::store::testing {

class LocalModelServer {
 public:
  // Serves the files in `root`; requests are logged to `root`/../server.log. Null on failure.
  static std::unique_ptr<LocalModelServer> start(const std::filesystem::path& root);
  ~LocalModelServer();

  // "http://127.0.0.1:<port>/<mode>/<file>"; modes are listed in model_server.py.
  std::string url(std::string_view mode, std::string_view file) const;
  std::string base_url(std::string_view mode) const;
  // Every request line so far.
  std::vector<std::string> log_lines() const;

 private:
  LocalModelServer() = default;
  int port_ = 0;
  int pid_ = 0;
  void* pipe_ = nullptr;  // FILE* of the server's stdout
  std::filesystem::path log_;
};

// A fresh empty folder under the test temp folder, removed on destruction.
class TempFolder {
 public:
  TempFolder();
  ~TempFolder();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Deterministic pseudo-random bytes (not text, not HTML).
std::vector<uint8_t> random_bytes(size_t count, uint32_t seed);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
// sha256 by the coreutils `sha256sum` program, independent of the code under test.
std::string sha256sum_of(const std::filesystem::path& path);
// A 127.0.0.1 port that nothing listens on (bound once, then closed).
int closed_port();

}  // namespace upres::store::testing
