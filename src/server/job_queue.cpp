// JobQueue: one worker thread runs queued jobs in order; a watchdog thread enforces the time limit.
#include "server/job_queue.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "base/file_io.h"
#include "image/png_text_chunks.h"
#include "pipeline/output_folder.h"
#include "pipeline/resume_check.h"
#include "pipeline/run_extras.h"
#include "server/job_journal.h"

namespace upres::server {

using Clock = std::chrono::steady_clock;

struct JobQueue::Job {
  std::string id;
  JobSpec spec;
  JobState state = JobState::kQueued;
  uint64_t version = 0;
  size_t images_done = 0;
  double image_fraction = 0;  // of the image now running
  std::string stage;
  Clock::time_point started;
  std::chrono::system_clock::time_point started_wall;
  double elapsed_s = 0;  // frozen when the job finishes
  bool cancel_requested = false;
  bool timed_out = false;
  size_t skip_index = SIZE_MAX;  // the image /sdapi/v1/skip asked to drop
  long step_done = 0, step_total = 0;  // of the stage now running (tiles, faces)
  std::shared_ptr<const image::Image> current_input;           // for /sdapi/v1/progress
  std::shared_ptr<const std::vector<uint8_t>> current_input_png;  // encoded on first ask
  Status error;
  std::vector<std::shared_ptr<const JobResult>> results;
  std::vector<JobFailure> failures;
};

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

// Ids are unguessable, so one client cannot fetch another's results by counting.
std::string make_job_id(uint64_t serial) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char text[40];
  snprintf(text, sizeof text, "%llx%012llx", static_cast<unsigned long long>(serial),
           static_cast<unsigned long long>(random() & 0xffffffffffffULL));
  return text;
}

// `status` with its message starting "<name>: ", so answers can name the input at fault.
Status naming_input(const Status& status, const std::string& name) {
  if (status.message().rfind(name + ": ", 0) == 0) return status;
  return status.with_context(name);
}

Result<std::vector<uint8_t>> read_input_file(const JobInput& input, int64_t max_bytes) {
  std::error_code error;
  const auto size = std::filesystem::file_size(input.path, error);
  if (error) return io_error(input.name + ": " + error.message());
  if (static_cast<int64_t>(size) > max_bytes) {
    return resource_exhausted(input.name + ": " + std::to_string(size) +
                              " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  return read_file_bytes(input.path);
}

Result<std::string> save_result(const JobSpec& spec, const image::Image& image,
                                const std::string& name) {
  UPRES_ASSIGN_OR_RETURN(auto folder, pipeline::OutputFolder::open(spec.output_dir, spec.encode));
  Result<std::filesystem::path> saved =
      spec.keep_stems ? folder.save_named(image, std::filesystem::path(name).stem().string())
                      : folder.save_numbered(image);
  if (!saved.is_ok()) return saved.status();
  return saved->string();
}

// Whether skip_existing finds this input's result already saved, as `upscale --skip-existing`
// decides it; null when it must be made.
Result<std::shared_ptr<JobResult>> find_adoptable_result(const JobSpec& spec, const pipeline::InputIdentity& source,
                                                         const std::string& name) {
  UPRES_ASSIGN_OR_RETURN(auto folder, pipeline::OutputFolder::open(spec.output_dir, spec.encode));
  const pipeline::ResumeCheck check({}, pipeline::params_sha256_of(spec.params), folder);
  UPRES_ASSIGN_OR_RETURN(pipeline::ResumeVerdict verdict, check.check(source, std::filesystem::path(name).stem().string()));
  if (!verdict.is_done) return std::shared_ptr<JobResult>();
  const std::filesystem::path path = folder.dir() / verdict.output_name;
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  UPRES_ASSIGN_OR_RETURN(auto size, image::read_image_size(path));
  auto result = std::make_shared<JobResult>();
  result->name = name;
  result->width = size.first;
  result->height = size.second;
  result->format = spec.encode.format;
  result->saved_path = path.string();
  result->adopted = true;
  if (auto chunks = image::read_png_text_chunks(bytes, path.string()); chunks.is_ok())
    for (const auto& [key, value] : *chunks)
      if (key == "postprocessing") result->infotext = value;
  if (spec.keep_results) result->encoded = std::move(bytes);
  return result;
}

std::string format_pixels(double pixels) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", pixels);
  return text;
}

}  // namespace

Status check_extras_output_size(const image::Image& input, const pipeline::ExtrasRequest& request,
                                int64_t max_pixels) {
  const bool scale_by = request.resize_mode == pipeline::ResizeMode::kScaleBy;
  const char* field = scale_by ? "upscaling_resize" : "upscaling_resize_w";
  auto too_large = [&](double width, double height) {
    char size[64];
    std::snprintf(size, sizeof size, "%.0fx%.0f", width, height);
    return resource_exhausted(std::string(field) + ": the result would be " + size + " (" +
                              format_pixels(width * height) + " pixels), more than this server's limit of " +
                              std::to_string(max_pixels) + " pixels");
  };
  // In floating point first: any factor is accepted, and a huge one must not overflow the sizes.
  if (scale_by) {
    const double width = std::round(input.width() * request.scale), height = std::round(input.height() * request.scale);
    if (width * height > static_cast<double>(max_pixels)) return too_large(width, height);
  }
  const pipeline::OutputSize size =
      pipeline::compute_output_size(input.width(), input.height(), request);
  const int64_t upscaled = int64_t{size.upscaled_width} * size.upscaled_height;
  const int64_t final_pixels = int64_t{size.final_width} * size.final_height;
  if (std::max(upscaled, final_pixels) <= max_pixels) return Status::ok();
  return upscaled >= final_pixels ? too_large(size.upscaled_width, size.upscaled_height)
                                  : too_large(size.final_width, size.final_height);
}

JobQueue::JobQueue(std::shared_ptr<pipeline::UpscalerRegistry> registry, JobQueueOptions options)
    : registry_(std::move(registry)), options_(options) {
  worker_ = std::thread([this] { run_worker(); });
  watchdog_ = std::thread([this] { run_watchdog(); });
}

JobQueue::~JobQueue() {
  shutdown();
  worker_.join();
  watchdog_.join();
}

void JobQueue::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (current_) current_->cancel_requested = true;
    if (current_progress_) current_progress_->cancel();
  }
  changed_.notify_all();
}

Result<std::string> JobQueue::submit(JobSpec spec) {
  std::lock_guard lock(mutex_);
  if (stopping_) return resource_exhausted("job queue: the server is shutting down");
  if (pending_.size() >= options_.max_pending_jobs) {
    return resource_exhausted("job queue: " + std::to_string(pending_.size()) +
                              " jobs are waiting already; try again later");
  }
  auto job = std::make_shared<Job>();
  job->id = make_job_id(next_id_++);
  job->spec = std::move(spec);
  jobs_[job->id] = job;
  pending_.push_back(job->id);
  touch(*job);
  return job->id;
}

void JobQueue::touch(Job& job) {
  ++job.version;
  changed_.notify_all();
}

JobSnapshot JobQueue::make_snapshot(const Job& job) const {
  JobSnapshot s;
  s.id = job.id;
  s.state = job.state;
  s.version = job.version;
  if (job.state == JobState::kQueued) {
    auto it = std::find(pending_.begin(), pending_.end(), job.id);
    s.queue_position = static_cast<size_t>(it - pending_.begin()) + (current_ ? 1 : 0);
  }
  s.image_count = job.spec.inputs.size();
  s.images_done = job.images_done;
  s.stage = job.stage;
  s.started_at = job.started_wall;
  s.error = job.error;
  s.results = job.results;
  s.failures = job.failures;
  if (job.state == JobState::kRunning) {
    s.elapsed_s = std::chrono::duration<double>(Clock::now() - job.started).count();
    s.progress = (job.images_done + job.image_fraction) / std::max<size_t>(1, s.image_count);
    if (s.progress > 0.0) s.eta_s = s.elapsed_s / s.progress - s.elapsed_s;
  } else if (s.is_finished()) {
    s.elapsed_s = job.elapsed_s;
    s.progress = 1.0;
    s.eta_s = 0;
  }
  return s;
}

std::optional<JobSnapshot> JobQueue::snapshot(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return make_snapshot(*it->second);
}

std::optional<JobSnapshot> JobQueue::wait_for_change(const std::string& id, uint64_t seen_version,
                                                     std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  std::shared_ptr<Job> job = it->second;
  changed_.wait_for(lock, timeout, [&] {
    return stopping_ || job->version != seen_version || job->state >= JobState::kDone;
  });
  if (stopping_ && job->state < JobState::kDone) return std::nullopt;
  return make_snapshot(*job);
}

std::optional<JobSnapshot> JobQueue::wait_until_finished(const std::string& id) const {
  std::unique_lock lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  std::shared_ptr<Job> job = it->second;
  changed_.wait(lock, [&] { return stopping_ || job->state >= JobState::kDone; });
  return make_snapshot(*job);
}

bool JobQueue::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return false;
  Job& job = *it->second;
  if (job.state == JobState::kQueued) {
    pending_.erase(std::find(pending_.begin(), pending_.end(), id));
    job.state = JobState::kCancelled;
    job.error = cancelled("job " + id + ": cancelled before it started");
    finished_.push_back(id);
    touch(job);
    return true;
  }
  if (job.state != JobState::kRunning) return false;
  job.cancel_requested = true;
  if (current_progress_) current_progress_->cancel();
  touch(job);
  return true;
}

bool JobQueue::interrupt_running() {
  std::string id;
  {
    std::lock_guard lock(mutex_);
    if (!current_) return false;
    id = current_->id;
  }
  return cancel(id);
}

bool JobQueue::skip_running_image() {
  std::lock_guard lock(mutex_);
  if (!current_) return false;
  // Remembered by index, so a skip that lands while the image decodes (or in a stage that never
  // looks at the cancel flag) still drops that image, as the reference's state.skipped does.
  current_->skip_index = current_->images_done;
  if (current_progress_) current_progress_->cancel();  // without cancel_requested: only this image
  touch(*current_);
  return true;
}

std::optional<RunningProgress> JobQueue::running_progress(bool with_current_image) {
  RunningProgress out;
  std::shared_ptr<const image::Image> input;
  {
    std::lock_guard lock(mutex_);
    if (!current_) return std::nullopt;
    const Job& job = *current_;
    out.job_id = job.id;
    out.image_count = job.spec.inputs.size();
    out.images_done = job.images_done;
    out.step_done = job.step_done;
    out.step_total = job.step_total;
    out.stage = job.stage;
    out.started_at = job.started_wall;
    out.elapsed_s = std::chrono::duration<double>(Clock::now() - job.started).count();
    out.skipped = job.skip_index == job.images_done;
    out.interrupted = job.cancel_requested;
    out.current_image_png = job.current_input_png;
    input = job.current_input;
  }
  if (!with_current_image || out.current_image_png || !input) return out;
  // Encoded outside the lock (it may take a while), once per picture.
  auto encoded = image::encode_image(*input, {});
  if (!encoded.is_ok()) return out;
  auto png = std::make_shared<const std::vector<uint8_t>>(std::move(encoded).value());
  out.current_image_png = png;
  std::lock_guard lock(mutex_);
  if (current_ && current_->current_input == input) current_->current_input_png = png;
  return out;
}

std::optional<JobSnapshot> JobQueue::running(size_t* queued) const {
  std::lock_guard lock(mutex_);
  if (queued) *queued = pending_.size();
  if (!current_) return std::nullopt;
  return make_snapshot(*current_);
}

void JobQueue::run_worker() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    std::shared_ptr<Job> job = jobs_[pending_.front()];
    pending_.pop_front();
    job->state = JobState::kRunning;
    job->started = Clock::now();
    job->started_wall = std::chrono::system_clock::now();
    current_ = job;
    touch(*job);
    lock.unlock();
    run_job(*job);
    lock.lock();
    finish_job(*job);
    // A job ended by the server stopping is unfinished: its journal stays for the restart.
    if (!stopping_ && !job->spec.journal_path.empty()) remove_job_journal(job->spec.journal_path);
    current_.reset();
    finished_.push_back(job->id);
    forget_old_jobs();
    touch(*job);
  }
}

void JobQueue::run_job(Job& job) {
  for (size_t index = 0; index < job.spec.inputs.size(); ++index) {
    {
      std::lock_guard lock(mutex_);
      if (job.cancel_requested) return;
      job.image_fraction = 0;
      job.step_done = job.step_total = 0;
      job.stage = "decoding " + job.spec.inputs[index].name;
      touch(job);
    }
    run_image(job, index);
    std::lock_guard lock(mutex_);
    ++job.images_done;
    job.image_fraction = 0;
    job.step_done = job.step_total = 0;
    job.current_input.reset();
    job.current_input_png.reset();
    touch(job);
  }
}

void JobQueue::run_image(Job& job, size_t index) {
  JobInput& input = job.spec.inputs[index];
  auto fail = [&](const Status& status) {
    std::lock_guard lock(mutex_);
    job.failures.push_back({index, input.name, naming_input(status, input.name)});
  };
  std::vector<uint8_t> bytes = std::move(input.bytes);  // released when this image is done
  if (!input.path.empty()) {
    auto read = read_input_file(input, options_.max_input_file_bytes);
    if (!read.is_ok()) return fail(read.status());
    bytes = std::move(read).value();
  }
  const bool is_stamped = !job.spec.output_dir.empty() && !job.spec.params.empty();
  const pipeline::InputIdentity source = is_stamped ? pipeline::identify_bytes(input.name, bytes) : pipeline::InputIdentity{};
  if (is_stamped && job.spec.skip_existing && job.spec.keep_stems) {
    auto adopted = find_adoptable_result(job.spec, source, input.name);
    if (!adopted.is_ok()) return fail(adopted.status());
    if (*adopted) {
      (*adopted)->input_index = index;
      std::lock_guard lock(mutex_);
      job.results.push_back(std::move(adopted).value());
      return;
    }
  }
  auto decoded = image::decode_image(bytes, input.name, options_.decode_limits);
  if (!decoded.is_ok()) return fail(decoded.status());
  bytes = {};
  auto picture = std::make_shared<const image::Image>(std::move(decoded).value());
  {
    std::lock_guard lock(mutex_);
    job.current_input = picture;
  }
  if (Status size = job.spec.work ? job.spec.work->check(*picture, options_.max_output_pixels)
                                  : check_extras_output_size(*picture, job.spec.request, options_.max_output_pixels);
      !size.is_ok()) {
    std::lock_guard lock(mutex_);  // the message names the option at fault, not the input
    job.failures.push_back({index, input.name, size});
    return;
  }

  pipeline::Progress progress([this, &job](const pipeline::ProgressEvent& event) {
    std::lock_guard lock(mutex_);
    job.stage = event.stage;
    job.step_done = event.done;
    job.step_total = event.total;
    if (event.total > 0)
      job.image_fraction = std::clamp(static_cast<double>(event.done) / event.total, 0.0, 1.0);
    touch(job);
  });
  {
    std::lock_guard lock(mutex_);
    if (job.cancel_requested || job.skip_index == index) progress.cancel();
    current_progress_ = &progress;
  }
  auto extras = job.spec.work ? job.spec.work->run(*picture, progress)
                              : pipeline::run_extras(*picture, job.spec.request, *registry_, progress, options_.faces.get());
  {
    std::lock_guard lock(mutex_);
    current_progress_ = nullptr;
    const bool skipped = job.skip_index == index ||
                         (!extras.is_ok() && extras.status().code() == StatusCode::kCancelled);
    if (skipped && !job.cancel_requested) {  // a finished picture is dropped too, as the reference does
      job.failures.push_back({index, input.name, cancelled(input.name + ": skipped")});
      return;
    }
  }
  if (!extras.is_ok()) return fail(extras.status());

  auto result = std::make_shared<JobResult>();
  result->input_index = index;
  result->name = input.name;
  result->width = extras->image.width();
  result->height = extras->image.height();
  result->infotext = extras->infotext;
  result->format = job.spec.encode.format;
  if (job.spec.keep_results) {
    auto encoded = image::encode_image(extras->image, job.spec.encode);
    if (!encoded.is_ok()) return fail(encoded.status());
    result->encoded = std::move(encoded).value();
  }
  if (!job.spec.output_dir.empty()) {
    if (is_stamped)
      extras->image.metadata.set_text(pipeline::kSourceStampKey,
                                      pipeline::source_stamp(source, pipeline::params_sha256_of(job.spec.params)));
    auto saved = save_result(job.spec, extras->image, input.name);
    if (!saved.is_ok()) return fail(saved.status());
    result->saved_path = *saved;
  }
  std::lock_guard lock(mutex_);
  job.results.push_back(std::move(result));
}

void JobQueue::finish_job(Job& job) {
  job.elapsed_s = std::chrono::duration<double>(Clock::now() - job.started).count();
  job.stage.clear();
  if (job.timed_out) {
    job.state = JobState::kCancelled;
    job.error = cancelled("job " + job.id + ": time limit of " +
                          std::to_string(options_.job_timeout.count()) + " s reached");
  } else if (job.cancel_requested) {
    job.state = JobState::kCancelled;
    job.error = cancelled("job " + job.id + ": interrupted");
  } else if (job.results.empty() && !job.failures.empty()) {
    job.state = JobState::kFailed;
    job.error = job.failures.front().status;
  } else {
    job.state = JobState::kDone;
  }
}

void JobQueue::forget_old_jobs() {
  while (finished_.size() > options_.max_finished_jobs) {
    jobs_.erase(finished_.front());
    finished_.pop_front();
  }
}

void JobQueue::run_watchdog() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (options_.job_timeout.count() == 0 || !current_ || current_->cancel_requested) {
      changed_.wait(lock);
      continue;
    }
    std::shared_ptr<Job> job = current_;
    const auto deadline = job->started + options_.job_timeout;
    changed_.wait_until(lock, deadline, [&] { return stopping_ || current_ != job; });
    if (current_ == job && Clock::now() >= deadline) {
      job->cancel_requested = true;
      job->timed_out = true;
      if (current_progress_) current_progress_->cancel();
      touch(*job);
    }
  }
}

}  // namespace upres::server
