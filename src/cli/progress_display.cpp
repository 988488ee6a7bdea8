#include "cli/progress_display.h"

#include <unistd.h>

namespace upres::cli {
namespace {

std::string clock_text(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(text, sizeof text, "%02ld:%02ld", s / 60, s % 60);
  return text;
}

}  // namespace

ProgressDisplay::ProgressDisplay(std::FILE* out) : out_(out), is_terminal_(::isatty(::fileno(out))) {}

double ProgressDisplay::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressDisplay::draw_bar(const std::string& detail) {
  constexpr int kWidth = 24;
  const double fraction = count_ ? static_cast<double>(done_) / count_ : 0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  const double elapsed = elapsed_s();
  std::string eta = done_ ? clock_text(elapsed / done_ * (count_ - done_)) : "--:--";
  std::fprintf(out_, "\r\033[K[%s] %zu/%zu  elapsed %s  ETA %s  %s", bar.c_str(), done_, count_,
               clock_text(elapsed).c_str(), eta.c_str(), detail.c_str());
  std::fflush(out_);
}

void ProgressDisplay::on_item_start(size_t index, size_t count, const std::filesystem::path& input) {
  std::lock_guard lock(mutex_);
  done_ = index;
  count_ = count;
  current_ = input.filename().string();
  if (is_terminal_) draw_bar(current_);
}

void ProgressDisplay::on_item_done(size_t index, size_t count, const pipeline::BatchOutcome& outcome) {
  std::lock_guard lock(mutex_);
  done_ = index + 1;
  if (is_terminal_) std::fprintf(out_, "\r\033[K");
  if (!outcome.status.is_ok()) {
    std::fprintf(out_, "error: %s\n", outcome.status.to_string().c_str());
  } else if (outcome.is_skipped) {
    std::fprintf(out_, "[%zu/%zu] %s: skipped (result exists)\n", done_, count, outcome.input.c_str());
  } else {
    std::fprintf(out_, "[%zu/%zu] %s -> %s\n", done_, count, outcome.input.c_str(),
                 outcome.output.c_str());
  }
  if (is_terminal_ && done_ < count_) draw_bar("");
  std::fflush(out_);
}

void ProgressDisplay::on_progress(const pipeline::ProgressEvent& event) {
  if (!is_terminal_ || event.total <= 1) return;  // plain output: per-item lines are enough
  std::lock_guard lock(mutex_);
  draw_bar(current_ + "  " + event.stage + " " + std::to_string(event.done) + "/" +
           std::to_string(event.total));
}

void ProgressDisplay::print_summary(const pipeline::BatchReport& report) {
  std::lock_guard lock(mutex_);
  std::fprintf(out_, "done in %s: %d succeeded, %d failed, %d skipped\n", clock_text(elapsed_s()).c_str(),
               report.succeeded, report.failed, report.skipped);
  if (report.failed == 0) return;
  std::fprintf(out_, "failed:\n");
  for (const auto& outcome : report.outcomes)
    if (!outcome.status.is_ok()) std::fprintf(out_, "  %s\n", outcome.status.to_string().c_str());
}

}  // namespace upres::cli
