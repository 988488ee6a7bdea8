#include "local_model_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#ifndef UPRES_SOURCE_DIR
#error "UPRES_SOURCE_DIR must be defined by the build"
#endif

namespace upres::store::testing {
namespace fs = std::filesystem;

std::unique_ptr<LocalModelServer> LocalModelServer::start(const fs::path& root) {
  std::unique_ptr<LocalModelServer> server(new LocalModelServer());
  server->log_ = root.parent_path() / "server.log";
  std::string command = "exec /usr/bin/python3 '" UPRES_SOURCE_DIR "/tests/store/model_server.py' '" +
                        root.string() + "' '" + server->log_.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return nullptr;
  server->pipe_ = pipe;
  char line[128] = {};
  if (std::fgets(line, sizeof line, pipe) == nullptr ||
      std::sscanf(line, "PORT %d PID %d", &server->port_, &server->pid_) != 2) {
    return nullptr;
  }
  return server;
}

LocalModelServer::~LocalModelServer() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
  if (pipe_ != nullptr) ::pclose(static_cast<FILE*>(pipe_));
}

std::string LocalModelServer::base_url(std::string_view mode) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + std::string(mode);
}

std::string LocalModelServer::url(std::string_view mode, std::string_view file) const {
  return base_url(mode) + "/" + std::string(file);
}

std::vector<std::string> LocalModelServer::log_lines() const {
  std::vector<std::string> lines;
  std::ifstream in(log_);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TempFolder::TempFolder() {
  std::string pattern = (fs::temp_directory_path() / "upres-store-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  path_ = made != nullptr ? fs::path(made) : fs::path();
}

TempFolder::~TempFolder() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

std::vector<uint8_t> random_bytes(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::vector<uint8_t> bytes(count);
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(generator() >> 24);
  return bytes;
}

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string sha256sum_of(const fs::path& path) {
  std::string command = "sha256sum '" + path.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char hex[65] = {};
  size_t got = std::fread(hex, 1, 64, pipe);
  ::pclose(pipe);
  return got == 64 ? std::string(hex, 64) : "";
}

int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace upres::store::testing
