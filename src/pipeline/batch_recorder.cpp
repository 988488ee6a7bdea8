#include "pipeline/batch_recorder.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "pipeline/shard_partition.h"
#include "store/sha256.h"

namespace upres::pipeline {
namespace fs = std::filesystem;
namespace {

std::string sha256_of_text(const std::string& text) {
  store::Sha256 hash;
  hash.update({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  return hash.hex_digest();
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

BatchRecorder::BatchRecorder(const InputList& inputs, RecordedRunInfo info, const OutputFolder& output,
                             const ManifestWriter* manifest)
    : inputs_(inputs),
      info_(std::move(info)),
      params_sha256_(sha256_of_text(info_.params)),
      output_(output),
      manifest_(manifest),
      resume_(info_.earlier, params_sha256_, output) {
  info_.earlier.clear();  // indexed by resume_; not needed twice
}

std::string BatchRecorder::expected_name(size_t index) const {
  return inputs_.items[index].path.stem().string() + "." +
         std::string(image::format_extension(output_.encode_options().format));
}

void BatchRecorder::on_start(size_t index) {
  current_index_ = index;
  verdict_.reset();
  infotext_.clear();
  started_ = std::chrono::steady_clock::now();
  const InputItem& item = inputs_.items[index];
  current_ = item.problem.is_ok() ? identify_input(item) : Result<InputIdentity>(item.problem);
}

BatchListener BatchRecorder::wrap(const BatchListener& inner) {
  BatchListener outer;
  outer.on_start = [this, inner](size_t index, size_t count, const fs::path& input) {
    on_start(index);
    if (inner.on_start) inner.on_start(index, count, input);
  };
  outer.on_done = [this, inner](size_t index, size_t count, const BatchOutcome& outcome) {
    on_done(index, outcome);
    if (inner.on_done) inner.on_done(index, count, outcome);
  };
  return outer;
}

ItemWork BatchRecorder::wrap(const ItemWork& inner) {
  return [this, inner](const image::Image& picture, Progress& progress) -> Result<image::Image> {
    UPRES_ASSIGN_OR_RETURN(image::Image result, inner(picture, progress));
    if (!current_.is_ok()) return current_.status();
    if (const std::string* infotext = result.metadata.find_text("postprocessing")) infotext_ = *infotext;
    result.metadata.set_text(kSourceStampKey, source_stamp(current_.value(), params_sha256_));
    // Made meanwhile by another task on the same item: saving now would make <stem>-1.
    std::error_code ec;
    if (inputs_.is_batch && info_.exactly_once && fs::exists(output_.dir() / expected_name(current_index_), ec))
      return invalid_argument(expected_name(current_index_) + " appeared in " + output_.dir().string() +
                              " while this item ran (another task on the same shard?); kept that one");
    return result;
  };
}

std::function<Result<bool>(const InputItem& item)> BatchRecorder::is_done() {
  return [this](const InputItem& item) -> Result<bool> {
    if (!current_.is_ok()) return current_.status();
    Result<ResumeVerdict> verdict = resume_.check(current_.value(), item.path.stem().string());
    if (!verdict.is_ok()) return verdict.status();
    verdict_ = verdict.value();
    return verdict_->is_done;
  };
}

void BatchRecorder::on_done(size_t index, const BatchOutcome& outcome) {
  if (outcome.status.code() == StatusCode::kCancelled || (!manifest_ && !info_.exactly_once)) return;
  ManifestRecord record;
  record.input = shard_key(inputs_.items[index]);
  if (current_.is_ok()) {
    record.input_bytes = current_->bytes;
    record.input_sha256 = current_->sha256;
  }
  record.output_dir = output_.dir().string();
  record.params = info_.params;
  record.params_sha256 = params_sha256_;
  record.shard = info_.shard;
  record.upres_version = info_.upres_version;
  record.model_sha256 = info_.model_sha256;
  record.host = host_name();
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  record.finished_unix_s = static_cast<int64_t>(std::time(nullptr));
  if (outcome.is_skipped && verdict_) {
    record.status = "skipped";
    record.output = verdict_->output_name;
    record.output_sha256 = verdict_->output_sha256;
  } else if (!outcome.status.is_ok()) {
    record.status = "failed";
    record.error = outcome.status.to_string();
  } else {
    record.status = "ok";
    record.infotext = infotext_;
    record.output = outcome.output.filename().string();
    Result<std::string> sha256 = store::sha256_of_file(outcome.output);
    if (inputs_.is_batch && info_.exactly_once && record.output != expected_name(index)) {
      std::error_code ec;
      fs::remove(outcome.output, ec);
      record.status = "failed";
      record.error = "a second copy " + record.output + " was written next to " + expected_name(index) +
                     " (made meanwhile by another task) and removed again";
      record.output.clear();
      std::fprintf(stderr, "upres: %s: %s\n", inputs_.items[index].path.c_str(), record.error.c_str());
    } else if (sha256.is_ok()) {
      record.output_sha256 = sha256.value();
    } else {
      record.status = "failed";
      record.error = "the result cannot be read back: " + sha256.status().to_string();
    }
  }
  if (!manifest_) return;
  Status appended = manifest_->append(record);
  if (!appended.is_ok() && manifest_status_.is_ok()) {
    manifest_status_ = appended;
    std::fprintf(stderr, "upres: %s\n", appended.to_string().c_str());
  }
}

}  // namespace upres::pipeline
