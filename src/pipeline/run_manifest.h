// RunManifest: the JSON-lines record of a batch, one line per finished item (what was read, what
// was written, with which parameters, how it ended). Several tasks of a job array may append to
// one file on a shared filesystem, or each to its own; `upres manifest` joins and checks them.
//
// Appending: the file is opened O_APPEND and each line goes out in one write() of at most
// kMaxManifestLineBytes, so lines from concurrent writers never interleave (NFS included, where
// larger appends may tear). Durability: fdatasync after every line; a line is written only after
// an item that took far longer than the sync, so a crashed node loses at most the item it was on.
// ManifestWriter::append is thread-safe; the rest are pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace upres::pipeline {

inline constexpr size_t kMaxManifestLineBytes = 4096;  // newline included

struct ManifestRecord {
  std::string input;             // path relative to its root ('/'-separated): the item's identity
  int64_t input_bytes = -1;      // -1 when the input could not be read
  std::string input_sha256;
  std::string output;            // file name in output_dir; empty unless a result exists
  std::string output_dir;        // as given to the run
  std::string output_sha256;
  std::string status;            // "ok", "failed" or "skipped" (done by an earlier run, result verified)
  std::string error;             // why it failed
  std::string params;            // the run's parameters as one JSON object (compact)
  std::string params_sha256;     // of `params`: what --skip-existing compares
  std::string infotext;          // what the result records, e.g. "Postprocess upscale by: 4, ..."
  double seconds = 0;
  std::string shard;             // "I/N", empty when not sharded
  std::string upres_version;
  std::map<std::string, std::string> model_sha256;  // upscaler or model name -> sha256 of its file
  std::string host;
  int64_t finished_unix_s = 0;

  bool is_done() const { return status == "ok" || status == "skipped"; }
};

// One JSON object and '\n'. Long free text (error, infotext) is cut so the line fits
// kMaxManifestLineBytes; only paths over ~3 KiB can make it longer.
std::string to_manifest_line(const ManifestRecord& record);

// InvalidArgument naming what is wrong when `line` is not a record.
Result<ManifestRecord> parse_manifest_line(const std::string& line);

struct ManifestContents {
  std::vector<ManifestRecord> records;  // in file order
  std::vector<std::string> bad_lines;   // "FILE:LINE: why" for lines that are not records
};

// NotFound when `path` does not exist; IoError when it cannot be read. Bad lines (a disk-full
// torn tail, hand edits) are listed, not fatal.
Result<ManifestContents> read_manifest(const std::filesystem::path& path);

class ManifestWriter {
 public:
  // Opens (creating, 0644) for appending. IoError naming the path.
  static Result<ManifestWriter> open(const std::filesystem::path& path);
  ManifestWriter(ManifestWriter&& other) noexcept;
  ManifestWriter& operator=(ManifestWriter&&) = delete;
  ManifestWriter(const ManifestWriter&) = delete;
  ~ManifestWriter();

  // One write() of the record's line, then fdatasync. IoError on a short write or a failed sync.
  Status append(const ManifestRecord& record) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  ManifestWriter(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace upres::pipeline
