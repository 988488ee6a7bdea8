// Job: one queued Extras run (or other PictureWork, e.g. an outpaint) over one or more images, as
// the server's job queue holds it: what was asked (JobSpec), how far it is (JobSnapshot) and what
// came out (JobResult). Plain value types.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "image/image_codec.h"
#include "pipeline/extras_request.h"
#include "pipeline/progress.h"
#include "pipeline/run_extras.h"

namespace upres::server {

// One picture to process: either bytes already received, or a file the job reads when it runs.
struct JobInput {
  std::string name;            // file name as uploaded (or relative path); for messages and stems
  std::vector<uint8_t> bytes;  // used when `path` is empty
  std::filesystem::path path;  // a file under the configured batch root, read lazily
};

// What a job does to each decoded picture when it is not an Extras run (outpaint_job.h).
class PictureWork {
 public:
  virtual ~PictureWork() = default;
  // Run before the picture: an error (e.g. a result over `max_output_pixels`) names the option at
  // fault, not the input.
  virtual Status check(const image::Image& input, int64_t max_output_pixels) const = 0;
  virtual Result<pipeline::ExtrasResult> run(const image::Image& input, pipeline::Progress& progress) const = 0;
};

struct JobSpec {
  pipeline::ExtrasRequest request;
  std::shared_ptr<const PictureWork> work;  // null: run_extras with `request`
  std::vector<JobInput> inputs;
  image::EncodeOptions encode;
  std::filesystem::path output_dir;  // empty: results are kept in memory only
  bool keep_stems = false;           // saved results keep the input's stem instead of 00000.png
  bool keep_results = true;          // false: only saved, not kept for download (large batches)
  // Saved PNGs carry an upres-source stamp (pipeline/resume_check.h) naming their input and these
  // parameters (canonical JSON), as `upscale` batches do.
  std::string params;
  // Adopt a saved <stem> result whose stamp names the same input and parameters instead of
  // writing <stem>-1 beside it; one made from something else fails that picture. keep_stems only.
  bool skip_existing = false;
  std::filesystem::path journal_path;  // job_journal.h: removed when the job ends (not at shutdown)
};

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };
std::string_view job_state_name(JobState state);  // "queued", "running", "done", ...

struct JobResult {
  size_t input_index = 0;
  std::string name;  // the input's name
  int width = 0, height = 0;
  std::string infotext;
  std::vector<uint8_t> encoded;                          // empty when keep_results is false
  image::ImageFormat format = image::ImageFormat::kPng;  // of `encoded`
  std::string saved_path;                                // empty when not saved
  bool adopted = false;  // saved by an earlier run and taken as is (skip_existing)
};

struct JobFailure {
  size_t input_index = 0;
  std::string name;
  Status status;
};

struct JobSnapshot {
  std::string id;
  JobState state = JobState::kQueued;
  uint64_t version = 0;       // grows on every change; for change waits (SSE)
  size_t queue_position = 0;  // jobs ahead of this one while queued
  size_t image_count = 0;
  size_t images_done = 0;  // finished, failed or skipped
  double progress = 0;     // 0..1 over the whole job
  double eta_s = -1;       // seconds left, -1 while unknown
  double elapsed_s = 0;
  std::string stage;  // e.g. "Lanczos", "R-ESRGAN 4x+ tile"
  std::chrono::system_clock::time_point started_at;
  Status error;  // why the job failed or was cancelled
  std::vector<std::shared_ptr<const JobResult>> results;
  std::vector<JobFailure> failures;
  bool is_finished() const {
    return state == JobState::kDone || state == JobState::kFailed || state == JobState::kCancelled;
  }
};

}  // namespace upres::server
