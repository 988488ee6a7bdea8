// BatchRecorder: ties a batch run to its manifest and to --skip-existing. Wraps the batch's
// listener (identify each input before it runs; append its manifest line when it ends), its work
// (stamp the result with its source, note the infotext) and its is_done check (ResumeCheck).
// Cancelled items get no line: they are neither done nor failed, and a re-run picks them up.
// Single-threaded, like run_batch; the object must outlive the batch.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/batch_run.h"
#include "pipeline/resume_check.h"
#include "pipeline/run_manifest.h"

namespace upres::pipeline {

struct RecordedRunInfo {
  std::string params;  // the run's parameters as a compact JSON object
  std::string shard;   // "I/N" or empty
  std::string upres_version;
  std::map<std::string, std::string> model_sha256;
  std::vector<ManifestRecord> earlier;  // what previous runs recorded (for --skip-existing)
  // Refuse to write <stem>-1 next to a <stem> that appeared meanwhile (sharded, resumed or
  // manifested runs); a plain batch keeps numbering such names as before.
  bool exactly_once = false;
};

class BatchRecorder {
 public:
  // `manifest` may be null: then only the resume checks and the source stamps are done.
  BatchRecorder(const InputList& inputs, RecordedRunInfo info, const OutputFolder& output,
                const ManifestWriter* manifest);

  BatchListener wrap(const BatchListener& inner);
  ItemWork wrap(const ItemWork& inner);
  std::function<Result<bool>(const InputItem& item)> is_done();

  // The first manifest append that failed (the run should end non-zero), or OK.
  const Status& manifest_status() const { return manifest_status_; }
  const std::string& params_sha256() const { return params_sha256_; }

 private:
  void on_start(size_t index);
  // Appends the item's record. A result saved under a suffixed name (<stem>-1: another task wrote
  // <stem> meanwhile) is removed again and recorded as failed: never a second copy.
  void on_done(size_t index, const BatchOutcome& outcome);
  std::string expected_name(size_t index) const;

  const InputList& inputs_;
  RecordedRunInfo info_;
  std::string params_sha256_;
  const OutputFolder& output_;
  const ManifestWriter* manifest_;
  ResumeCheck resume_;
  // The item being run.
  Result<InputIdentity> current_ = InputIdentity{};
  std::optional<ResumeVerdict> verdict_;
  size_t current_index_ = 0;
  std::string infotext_;
  std::chrono::steady_clock::time_point started_;
  Status manifest_status_;
};

}  // namespace upres::pipeline
