// UpscalerRegistry: the upscalers users can pick, by display name, in the order the reference UI
// lists them (None, Lanczos, Nearest first, then the rest by name). Thread-safe after setup.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "pipeline/upscaler.h"

namespace upres::pipeline {

struct UpscalerEntry {
  std::string name;        // display name, e.g. "R-ESRGAN 4x+"
  std::string model_path;  // file it loads from; empty for resamplers
  int scale = 0;           // native scale; 0 for resamplers
  bool is_installed = true;  // false: listed, downloaded on first use
};

class UpscalerRegistry {
 public:
  // A registry holding the classical upscalers: None, Lanczos, Nearest, Bicubic.
  static std::shared_ptr<UpscalerRegistry> with_classical_upscalers();

  using Factory = std::function<Result<std::shared_ptr<Upscaler>>()>;
  // Adds (or replaces) an entry; `factory` is called on first use (loading weights lazily).
  void add(UpscalerEntry entry, Factory factory);

  std::vector<UpscalerEntry> entries() const;

  // The upscaler named `name` (case-sensitive, exact), loaded on first use. "None" returns a
  // null pointer with OK status: no upscaling. NotFound lists the valid names.
  Result<std::shared_ptr<Upscaler>> find(const std::string& name);

 private:
  struct Slot;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Slot>> slots_;
};

}  // namespace upres::pipeline
