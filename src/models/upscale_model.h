// UpscaleModel: a super-resolution network whose configuration was read from its weight file,
// able to build an engine graph for a given input size. The pipeline tiles, passes and resizes;
// the model only says how to compute one tile. Immutable after loading; thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"

namespace upres::models {

// A model built only from unpadded ("valid") convolutions computes each output pixel from a fixed
// window of input pixels, so it tiles exactly: the host extends the whole image's border once and
// every tile gets its real neighbours as context (realcugan/waifu2x-ncnn-vulkan do the same).
struct ValidConvTiling {
  int context_px = 0;  // input pixels a tile needs past its core on every side
  int alignment = 1;   // tile offsets and sizes must be multiples of this (stride-2 phases)
  engine::PadMode border = engine::PadMode::kReflect;  // how the image edge is extended
  // Feature-map pixels per input pixel (numerator, denominator) at each global average (the
  // squeeze of an SE block), in graph order. A tile at input offset b starts at feature b * n / d.
  std::vector<std::pair<int, int>> global_mean_density;
};

// Which global averages of a window graph come from outside. Tiled runs must feed whole-image
// means (averaging each tile alone changes the result per tile and shows seams).
struct GlobalMeanInputs {
  int supplied = 0;    // averages 0..supplied-1 are graph inputs "mean<i>", [1, C, 1, 1]
  bool stop = false;   // the graph's output is the feature map average number `supplied` reads
  bool operator==(const GlobalMeanInputs&) const = default;
};

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
  // Rough fp32 activation bytes per input pixel at the memory peak, for choosing tile sizes. A
  // tile's executable takes about kFixedExecutableBytes + this x its pixels.
  virtual double bytes_per_input_pixel() const = 0;
  // Bytes an executable needs whatever its tile size: the cpu backend's Winograd convolutions
  // keep a scratchpad of ~7-8 MiB from 64 px tiles up (more on large tiles, within the per-pixel
  // estimate).
  static constexpr double kFixedExecutableBytes = 16.0 * (1 << 20);
  // Whether bf16 compute keeps this model's output within 45 dB PSNR of fp32 on real pictures
  // (measured per architecture; see tests/models): precision auto takes bf16 only then.
  virtual bool is_faithful_in_bf16() const { return true; }
  // Whether bf16 makes this model faster where the CPU's bf16 convolutions outrun fp32
  // (Backend::fastest_compute_dtype): convolution networks gain, while window-attention networks,
  // whose time goes to small per-window matmuls and layout changes, lose (SwinIR-M real-world,
  // 128 px, Zen 5: bf16 2.72 s, fp32 2.41 s; bench/README.md), so precision auto keeps them fp32.
  virtual bool runs_faster_in_bf16() const { return true; }

  // The graph for input [1, channels(), height, width] -> output [1, channels(), h*scale, w*scale].
  // Values in [0, 1]; output not clamped (the pipeline clamps). Requires: height and width are
  // positive multiples of size_multiple(). Any host-side padding or cropping a model needs
  // (Real-CUGAN's) is inside the graph.
  virtual Result<engine::Graph> build_graph(int height, int width) const = 0;

  // Set when the model tiles exactly (see ValidConvTiling); absent for padded convolutions, whose
  // tiles overlap and blend.
  virtual std::optional<ValidConvTiling> valid_conv_tiling() const { return std::nullopt; }
  // The graph for one tile window already extended by context_px on every side: input
  // [1, channels(), height + 2c, width + 2c] -> [1, channels(), height * scale, width * scale], or
  // the feature map `means` stops at. Requires: valid_conv_tiling(); height and width positive
  // multiples of its alignment.
  virtual Result<engine::Graph> build_window_graph(int height, int width, const GlobalMeanInputs& means) const;
};

// Loads a model file: .pth/.pt/.ckpt/.safetensors (architecture detected from the weights) or an
// ncnn .param (with its .bin beside it). Unsupported names the architecture or layer it lacks.
Result<std::shared_ptr<const UpscaleModel>> load_upscale_model(const std::filesystem::path& path);

}  // namespace upres::models
