// NeuralUpscaler: runs an UpscaleModel as an Upscaler: tiles with blended overlaps, or exact tiles
// for valid-convolution models (valid_conv_tiles.h) (tile size from a memory budget, halved and
// retried when memory runs out), repeated native-scale passes until the target is covered, then a
// Lanczos resize to the exact size. Alpha is resized on its own;
// grayscale runs as RGB and comes back grayscale. One upscale() at a time (it reuses its executable).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/backend.h"
#include "models/upscale_model.h"
#include "pipeline/upscaler.h"

namespace upres::pipeline {

// kAuto: bf16 where the backend says bf16 is its fastest compute type (AMX CPUs) and the model keeps >= 45 dB PSNR against fp32 in it (UpscaleModel::is_faithful_in_bf16)
// and runs faster in it (UpscaleModel::runs_faster_in_bf16), else fp32.
enum class Precision { kAuto, kF32, kBF16 };

// "auto", "fp32", "bf16" -> Precision.
Result<Precision> parse_precision(const std::string& text);

struct InferenceOptions {
  std::string backend;                 // "cpu", "reference", ...; empty = the fastest built
  Precision precision = Precision::kAuto;  // kBF16 only where the backend supports it
  int tile_px = 0;                     // input tile side; 0 = chosen from max_memory_bytes
  int overlap_px = 32;                 // context each tile gets past its core, in input pixels
  int64_t max_memory_bytes = int64_t{4} << 30;  // activation budget for choosing tile_px
  bool winograd = true;                // engine::PrepareOptions::winograd (benchmarks turn it off)
  int num_threads = 0;                 // engine::PrepareOptions::num_threads; 0 = all cores
};

class NeuralUpscaler : public Upscaler {
 public:
  NeuralUpscaler(std::string name, std::shared_ptr<const models::UpscaleModel> model,
                 InferenceOptions options);

  std::string name() const override { return name_; }
  int native_scale() const override { return model_->scale(); }
  // Non-empty when max_memory_bytes is below what the model needs at the smallest automatic tile
  // (64 px), which then runs anyway, over the budget, its overlaps repeated many times over.
  std::string memory_notice() const override;
  Result<image::Image> upscale(const image::Image& input, int width, int height,
                               Progress& progress) override;

  // One native-scale pass over an RGB image (3 channels), tiled; the result is RGB, not clamped.
  // Exposed for tests, benchmarks and callers that run passes themselves (the ncnn drop-in).
  Result<image::Image> run_pass(const image::Image& rgb, Progress& progress);

  // The tile side used for the last pass (after any retries).
  int last_tile_px() const { return last_tile_px_; }
  // The compute dtype the passes run in (options' precision, kAuto resolved for this backend and
  // model). Fails when the backend cannot be created.
  Result<DType> compute_dtype();

 private:
  Result<image::Image> run_tiled(const image::Image& rgb, int tile_px, Progress& progress);
  // Which graph an executable runs: the whole-tile graph, or a window graph (valid_conv_tiles.h).
  struct GraphKey {
    int height = 0, width = 0;
    bool window = false;
    bool winograd = true;  // engine::PrepareOptions::winograd
    models::GlobalMeanInputs means;
    bool operator==(const GraphKey&) const = default;
  };
  Result<engine::Executable*> executable_for(const GraphKey& key);
  Status ensure_backend();
  int initial_tile_px() const;

  std::string name_;
  std::shared_ptr<const models::UpscaleModel> model_;
  InferenceOptions options_;
  std::mutex mutex_;
  std::unique_ptr<engine::Backend> backend_;
  GraphKey executable_key_;
  std::unique_ptr<engine::Executable> executable_;
  int last_tile_px_ = 0;
  // The running pass's Progress flag, handed to the executable so it stops between ops.
  const std::atomic<bool>* cancel_flag_ = nullptr;
};

}  // namespace upres::pipeline
