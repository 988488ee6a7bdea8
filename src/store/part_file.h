// PartFile: the open, exclusively locked `.part` file a download appends to. Move-only; one
// object per download; the lock (flock) also keeps a second process off the same download.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "base/result.h"

namespace upres::store {

class PartFile {
 public:
  // Opens or creates `path` for appending and takes an exclusive non-blocking lock on it.
  // IoError when the folder cannot be created, or when another process holds the lock.
  static Result<PartFile> open(const std::filesystem::path& path);

  PartFile(PartFile&& other) noexcept;
  PartFile& operator=(PartFile&& other) noexcept;
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  ~PartFile();

  const std::filesystem::path& path() const { return path_; }
  Result<uint64_t> size() const;
  Status append(std::span<const char> bytes);
  Status truncate();  // back to 0 bytes, to restart a download from the beginning
  // Up to `max_bytes` from the start of the file (fewer when the file is shorter).
  Result<std::string> read_head(size_t max_bytes) const;
  Status sync();
  // Removes the file from its folder (the descriptor stays valid until destruction).
  void remove();
  // fsyncs, then renames the file to `destination` and fsyncs the folder.
  Status commit_to(const std::filesystem::path& destination);

 private:
  PartFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace upres::store
