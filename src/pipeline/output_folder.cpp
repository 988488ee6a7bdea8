#include "pipeline/output_folder.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>

#include "base/file_io.h"

namespace upres::pipeline {
namespace fs = std::filesystem;
namespace {

// Temporaries are ".<name>.<pid>.<n>.part" (base/file_io.h). Returns the pid, or -1.
long temporary_owner_pid(const std::string& filename) {
  if (filename.size() < 7 || filename[0] != '.' || !filename.ends_with(".part")) return -1;
  std::string core = filename.substr(0, filename.size() - 5);
  size_t counter_dot = core.rfind('.');
  if (counter_dot == std::string::npos || counter_dot == 0) return -1;
  size_t pid_dot = core.rfind('.', counter_dot - 1);
  if (pid_dot == std::string::npos) return -1;
  std::string pid = core.substr(pid_dot + 1, counter_dot - pid_dot - 1);
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stol(pid);
}

void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    long pid = temporary_owner_pid(entry.path().filename().string());
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      fs::remove(entry.path(), ec);
  }
}

// The number a file name starts with, when it starts with 5 or more digits; else -1.
long leading_number(const std::string& name) {
  size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  if (digits < 5 || digits > 9) return -1;
  return std::stol(name.substr(0, digits));
}

bool is_taken(const Status& status) {
  return !status.is_ok() && status.message().ends_with(": exists");
}

}  // namespace

Result<OutputFolder> OutputFolder::open(const fs::path& dir, image::EncodeOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error(dir.string() + ": cannot create output folder: " + ec.message());
  remove_stale_temporaries(dir);
  return OutputFolder(dir, options);
}

fs::path OutputFolder::path_for(const std::string& name) const {
  return dir_ / (name + "." + std::string(image::format_extension(options_.format)));
}

Result<fs::path> OutputFolder::save_numbered(const image::Image& image) const {
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, image::encode_image(image, options_));
  long next = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    next = std::max(next, leading_number(entry.path().filename().string()) + 1);
  // Another process may take a number between the scan and the write: move on to the next.
  for (int attempt = 0; attempt < 1000; ++attempt, ++next) {
    char name[24];
    std::snprintf(name, sizeof name, "%05ld", next);
    fs::path path = path_for(name);
    Status status = write_file_exclusive(path, bytes);
    if (status.is_ok()) return path;
    if (!is_taken(status)) return status;
  }
  return io_error(dir_.string() + ": no free output number");
}

Result<fs::path> OutputFolder::save_named(const image::Image& image, const std::string& stem) const {
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, image::encode_image(image, options_));
  for (int suffix = 0; suffix < 10000; ++suffix) {
    fs::path path = path_for(suffix == 0 ? stem : stem + "-" + std::to_string(suffix));
    Status status = write_file_exclusive(path, bytes);
    if (status.is_ok()) return path;
    if (!is_taken(status)) return status;
  }
  return io_error(path_for(stem).string() + ": no free name");
}

bool OutputFolder::has_result_for(const std::string& stem) const {
  std::error_code ec;
  return fs::exists(path_for(stem), ec);
}

}  // namespace upres::pipeline
