// LamaRunner: a loaded LaMa generator on an engine backend, run on one tile at a time, keeping the
// prepared executables of the last kKeptSizes tile sizes (an outpaint's tiles share a few sizes; a
// server sees many pictures, so the cache is bounded: each executable holds its activation arena).
// Thread-safe: run() serialises on a mutex (one executable's buffers are reused between runs).
#pragma once

#include <filesystem>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "base/result.h"
#include "engine/backend.h"
#include "models/lama/lama.h"

namespace upres::models::lama {

class LamaRunner {
 public:
  // `backend` empty: "cpu" when built, else "reference".
  static Result<std::shared_ptr<LamaRunner>> load(const std::filesystem::path& path, std::string backend = {});
  LamaRunner(std::shared_ptr<const LamaGenerator> net, std::unique_ptr<engine::Backend> backend);

  const LamaGenerator& generator() const { return *net_; }

  // input: [4, height, width] planar = (image * (1 - mask), mask); output: [3, height, width] planar
  // generator output in [0, 1]. Requires: sizes valid for generator().build_graph.
  Status run(const float* input, int height, int width, float* output);

 private:
  std::shared_ptr<const LamaGenerator> net_;
  std::unique_ptr<engine::Backend> backend_;
  std::mutex mutex_;
  static constexpr size_t kKeptSizes = 2;
  struct Prepared {
    int height = 0, width = 0;
    std::unique_ptr<engine::Executable> executable;
  };
  std::deque<Prepared> executables_;  // most recently used first
};

}  // namespace upres::models::lama
