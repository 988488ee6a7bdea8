// Downloader: fetches one URL (libcurl: http, https, file) into a file with redirects, resume of a
// `<destination>.part` file by Range request, sha256 check, fsync and atomic rename into place.
// Thread-safe: each download() call uses its own curl handle; concurrent downloads of the same
// destination are refused through a lock on the .part file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "base/status.h"

namespace upres::store {

// Called with the bytes on disk so far (a resumed part included) and the expected total (0 when
// the server does not say). Return false to cancel: download() then answers Cancelled and keeps
// the .part file for a later resume. Called at most once per progress_interval_ms, plus once at
// the end with done == total.
using DownloadProgress = std::function<bool(uint64_t done_bytes, uint64_t total_bytes)>;

struct DownloadOptions {
  int64_t connect_timeout_ms = 15'000;
  int64_t stall_timeout_ms = 60'000;  // abort when no byte arrives for this long
  int64_t total_timeout_ms = 0;       // 0 = no limit on the whole transfer
  int64_t progress_interval_ms = 100;
  uint64_t max_bytes = uint64_t{8} << 30;  // refuse bodies larger than this
  uint64_t min_bytes = 200;  // smaller bodies are error pages or Git LFS pointers, never weights
  int max_attempts = 3;      // a dropped connection is resumed this many times in one call
  int64_t retry_delay_ms = 250;
  std::string user_agent = "upres";
};

struct DownloadRequest {
  std::string url;
  std::filesystem::path destination;
  std::string sha256;         // lowercase hex; empty = not checked
  uint64_t expected_bytes = 0;  // 0 = unknown; otherwise the exact size required
  DownloadProgress progress;  // may be empty
};

class Downloader {
 public:
  explicit Downloader(DownloadOptions options = {});

  // Downloads request.url to request.destination (its folder is created). On success the file is
  // complete, checked and renamed into place. Errors name the URL: NotFound (HTTP 404/410, missing
  // file:// path), IoError (cannot connect, other HTTP status, disk), Corrupt (HTML body, too
  // small, wrong size or sha256; the .part is removed), ResourceExhausted (over max_bytes),
  // Cancelled (progress returned false; the .part is kept).
  Status download(const DownloadRequest& request) const;

  // Where an unfinished download of `destination` is kept: "<destination>.part".
  static std::filesystem::path part_path_for(const std::filesystem::path& destination);

  const DownloadOptions& options() const { return options_; }

 private:
  DownloadOptions options_;
};

}  // namespace upres::store
