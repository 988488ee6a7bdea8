// ProgressDisplay: what the CLI prints while a batch runs. On a terminal, one redrawn bar (items,
// elapsed, ETA, current stage); otherwise plain lines. Errors are printed when they happen.
// Thread-safe: tile progress may arrive from worker threads.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

#include "pipeline/batch_run.h"
#include "pipeline/progress.h"

namespace upres::cli {

class ProgressDisplay {
 public:
  explicit ProgressDisplay(std::FILE* out);

  void on_item_start(size_t index, size_t count, const std::filesystem::path& input);
  void on_item_done(size_t index, size_t count, const pipeline::BatchOutcome& outcome);
  void on_progress(const pipeline::ProgressEvent& event);

  // The closing summary: counts, then every failure again.
  void print_summary(const pipeline::BatchReport& report);

 private:
  void draw_bar(const std::string& detail);
  double elapsed_s() const;

  std::FILE* out_;
  bool is_terminal_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  size_t done_ = 0, count_ = 0;
  std::string current_;
};

}  // namespace upres::cli
