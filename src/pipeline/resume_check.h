// ResumeCheck: whether an earlier run already made an item's result, for --skip-existing. A result
// counts as done only when the same input (sha256) was run with the same parameters and the file
// is still what was written (its sha256 in a manifest, or the source stamp inside the PNG when the
// manifest missed it: a task killed between the rename and the manifest line). A result that
// exists but cannot be shown to match fails the item instead of being written twice.
// Immutable after construction; check() is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "pipeline/input_list.h"
#include "pipeline/output_folder.h"
#include "pipeline/run_manifest.h"

namespace upres::pipeline {

// PNG text chunk each batch result carries: {"input": key, "input_sha256": ..., "params_sha256": ...}.
inline constexpr const char* kSourceStampKey = "upres-source";

struct InputIdentity {
  std::string key;  // shard_key(): path relative to its root
  int64_t bytes = -1;
  std::string sha256;
};

// Reads and hashes the input file. IoError naming it when it cannot be read.
Result<InputIdentity> identify_input(const InputItem& item);
// The identity of an input already in memory (the server's jobs), known by `key`.
InputIdentity identify_bytes(std::string key, std::span<const uint8_t> bytes);

std::string source_stamp(const InputIdentity& input, const std::string& params_sha256);
// A run's params_sha256: lowercase hex SHA-256 of its parameters' JSON text.
std::string params_sha256_of(const std::string& text);

struct ResumeVerdict {
  bool is_done = false;
  std::string output_name;    // the result's file name in the output folder, when done
  std::string output_sha256;
};

class ResumeCheck {
 public:
  // `earlier`: records of previous runs (any order of files; later lines win).
  ResumeCheck(const std::vector<ManifestRecord>& earlier, std::string params_sha256, const OutputFolder& output);

  // `stem`: the result's name without extension. Not done when no result exists; an error when
  // one exists that was made from something else, with other parameters, or changed since.
  Result<ResumeVerdict> check(const InputIdentity& input, const std::string& stem) const;

 private:
  std::map<std::string, ManifestRecord> done_by_input_;  // last done record per input key
  std::string params_sha256_;
  const OutputFolder& output_;
};

}  // namespace upres::pipeline
