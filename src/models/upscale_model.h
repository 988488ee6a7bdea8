// UpscaleModel: a super-resolution network whose configuration was read from its weight file,
// able to build an engine graph for a given input size. The pipeline tiles, passes and resizes;
// the model only says how to compute one tile. Immutable after loading; thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "engine/graph.h"

namespace upres::models {

class UpscaleModel {
 public:
  virtual ~UpscaleModel() = default;

  // "RRDBNet", "SRVGGNetCompact", "RealCUGAN", "ncnn graph", ...
  virtual std::string architecture() const = 0;
  // Native factor: output is scale() times the input in each dimension.
  virtual int scale() const = 0;
  // Channels in and out: 3 (RGB, values in [0, 1]) for every model upres runs today.
  virtual int channels() const { return 3; }
  // Input height and width must be multiples of this (the pipeline pads tiles to fit).
  virtual int size_multiple() const { return 1; }
  // Rough fp32 activation bytes per input pixel at the memory peak, for choosing tile sizes.
  virtual double bytes_per_input_pixel() const = 0;

  // The graph for input [1, channels(), height, width] -> output [1, channels(), h*scale, w*scale].
  // Values in [0, 1]; output not clamped (the pipeline clamps). Requires: height and width are
  // positive multiples of size_multiple(). Any host-side padding or cropping a model needs
  // (Real-CUGAN's) is inside the graph.
  virtual Result<engine::Graph> build_graph(int height, int width) const = 0;
};

// Loads a model file: .pth/.pt/.ckpt/.safetensors (architecture detected from the weights) or an
// ncnn .param (with its .bin beside it). Unsupported names the architecture or layer it lacks.
Result<std::shared_ptr<const UpscaleModel>> load_upscale_model(const std::filesystem::path& path);

}  // namespace upres::models
