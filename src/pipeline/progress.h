// Progress: how long-running work reports how far it is and learns that it should stop.
// Thread-safe: report() may be called from any thread; cancel() from any other.
#pragma once

#include <atomic>
#include <functional>
#include <string>

namespace upres::pipeline {

struct ProgressEvent {
  std::string stage;  // e.g. "R-ESRGAN 4x+ tile", "GFPGAN face"
  long done = 0;      // units finished in this stage
  long total = 0;     // units in this stage (0 = unknown)
};

class Progress {
 public:
  using Listener = std::function<void(const ProgressEvent&)>;

  Progress() = default;
  explicit Progress(Listener listener) : listener_(std::move(listener)) {}

  void report(const ProgressEvent& event) const {
    if (listener_) listener_(event);
  }
  void cancel() { cancelled_.store(true); }
  bool is_cancelled() const { return cancelled_.load(); }
  // The flag cancel() sets, for work that checks it on its own (engine::Executable::set_cancel_flag).
  const std::atomic<bool>& cancel_flag() const { return cancelled_; }

 private:
  Listener listener_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace upres::pipeline
