// JobQueue: accepts Extras jobs from any number of HTTP threads and runs them one at a time, in
// order, on its own worker thread, with per-job progress, ETA, cancel, skip and a time limit.
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "image/image_codec.h"
#include "pipeline/face_models.h"
#include "pipeline/progress.h"
#include "pipeline/upscaler_registry.h"
#include "server/job.h"

namespace upres::server {

// What /sdapi/v1/progress shows of the running job, inside the current picture too.
struct RunningProgress {
  std::string job_id;
  size_t image_count = 0;
  size_t images_done = 0;               // pictures finished, failed or skipped
  long step_done = 0, step_total = 0;   // of the current stage (tiles, faces); total 0 = unknown
  std::string stage;                    // e.g. "R-ESRGAN 4x+ tile", "GFPGAN face"
  std::chrono::system_clock::time_point started_at;
  double elapsed_s = 0;
  bool skipped = false;      // the current picture is being skipped
  bool interrupted = false;  // the job is being stopped
  // The picture being worked on, PNG-encoded; null unless asked for (or before it is decoded).
  std::shared_ptr<const std::vector<uint8_t>> current_image_png;
};

// ResourceExhausted naming the size field (upscaling_resize or upscaling_resize_w) when the Extras
// run of `input` would give more than `max_pixels` pixels: the check the queue makes per picture.
Status check_extras_output_size(const image::Image& input, const pipeline::ExtrasRequest& request,
                                int64_t max_pixels);

struct JobQueueOptions {
  size_t max_pending_jobs = 64;         // submit() answers ResourceExhausted beyond this
  size_t max_finished_jobs = 32;        // older finished jobs (and their results) are forgotten
  std::chrono::seconds job_timeout{0};  // 0 = no limit; a job running longer is cancelled
  image::DecodeLimits decode_limits;
  int64_t max_output_pixels = 268'402'689;   // an image whose result is larger fails (413)
  int64_t max_input_file_bytes = 256 << 20;  // for inputs read from disk
  std::shared_ptr<pipeline::FaceModels> faces;  // for face restoration; null: refused
};

class JobQueue {
 public:
  JobQueue(std::shared_ptr<pipeline::UpscalerRegistry> registry, JobQueueOptions options);
  ~JobQueue();  // shutdown(), then joins the threads
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Cancels the running job, drops queued ones and wakes every waiter; later waits return at
  // once (wait_for_change with nullopt). For a clean server stop.
  void shutdown();

  // Queues a job and returns its id. ResourceExhausted when max_pending_jobs are waiting.
  // Requires: spec.request.validate() is OK and spec.inputs is not empty.
  Result<std::string> submit(JobSpec spec);

  std::optional<JobSnapshot> snapshot(const std::string& id) const;

  // Blocks until the job's version differs from `seen_version`, it is finished, or `timeout`
  // passes. nullopt when the id is unknown or the queue is shutting down.
  std::optional<JobSnapshot> wait_for_change(const std::string& id, uint64_t seen_version,
                                             std::chrono::milliseconds timeout) const;

  // Blocks until the job is finished; nullopt when the id is unknown.
  std::optional<JobSnapshot> wait_until_finished(const std::string& id) const;

  // Cancels a queued or running job. False when the id is unknown or it had finished.
  bool cancel(const std::string& id);
  // The reference API's interrupt and skip: stop the running job / only its current image.
  bool interrupt_running();
  bool skip_running_image();

  // The running job's progress, or nullopt when idle. `with_current_image` also encodes the
  // picture being worked on (once per picture; the encoding runs outside the queue's lock).
  std::optional<RunningProgress> running_progress(bool with_current_image);

  // The running job, or nullopt when idle; `queued` gets the number of jobs waiting.
  std::optional<JobSnapshot> running(size_t* queued = nullptr) const;

 private:
  struct Job;
  void run_worker();
  void run_watchdog();
  void run_job(Job& job);
  void run_image(Job& job, size_t index);
  void finish_job(Job& job);
  void touch(Job& job);  // requires mutex_: bumps the version and wakes waiters
  JobSnapshot make_snapshot(const Job& job) const;  // requires mutex_
  void forget_old_jobs();                           // requires mutex_

  std::shared_ptr<pipeline::UpscalerRegistry> registry_;
  JobQueueOptions options_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::deque<std::string> pending_;
  std::deque<std::string> finished_;
  std::shared_ptr<Job> current_;
  pipeline::Progress* current_progress_ = nullptr;  // the running image's, guarded by mutex_
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread worker_;
  std::thread watchdog_;
};

}  // namespace upres::server
