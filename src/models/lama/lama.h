// LamaGenerator: LaMa's inpainting network (Suvorov et al. 2022, "Resolution-robust Large Mask
// Inpainting with Fourier Convolutions"), the big-lama FFCResNetGenerator: reflect pad + 7x7 FFC
// stem, stride-2 FFC downsampling convs (the last splits local/global), FFC residual blocks with the
// spectral transform, ConvTranspose2d-BN-ReLU upsamplers, reflect pad + 7x7 conv, sigmoid. The
// depth, widths and split are read from the weights (spandrel's `model.model.*` keys, the
// training checkpoint's `generator.model.*`, or the bare generator's `model.*`); BatchNorm folded
// at load. Not an UpscaleModel: it
// takes a masked picture and its mask. Immutable after loading; thread-safe.
// Original: https://github.com/advimman/lama (saicinpainting/training/modules/ffc.py), as
// chaiNNer-org/spandrel ships it (architectures/LaMa).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/lama/ffc_layer.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models::lama {

class LamaGenerator {
 public:
  struct Config {
    std::string prefix;      // "model.model.", "generator.model." or "model."
    int64_t in_channels = 4;  // RGB + mask
    int64_t out_channels = 3;
    int64_t ngf = 64;
    int downsampling = 3;
    int blocks = 18;
  };

  // The key spandrel detects LaMa by, <prefix>1.bn_l.running_mean, with any of the three prefixes.
  static bool matches(const nn::StateDict& weights);
  static Result<std::shared_ptr<const LamaGenerator>> from_weights(const weights::WeightMap& weights);
  // Reads a .pth/.ckpt/.safetensors file; errors name the file (and say when it is not LaMa).
  static Result<std::shared_ptr<const LamaGenerator>> load(const std::filesystem::path& path);

  const Config& config() const { return config_; }
  // Height and width must be multiples of this (2^downsampling) and at least twice it (reflect pads).
  int size_multiple() const { return 1 << config_.downsampling; }
  // Rough fp32 activation bytes per input pixel at the memory peak (for choosing the tile size).
  double bytes_per_input_pixel() const;

  // Input "x" [1, 4, height, width] = cat(image * (1 - mask), mask), values in [0, 1] -> the
  // generator's output [1, 3, height, width] (after its sigmoid; the caller composites with the mask).
  Result<engine::Graph> build_graph(int height, int width) const;

 private:
  struct Upsampler {
    FoldedConv conv;  // ConvTranspose2d [in, out, 3, 3] with its BatchNorm folded
  };
  struct ResidualBlock {
    FfcLayer conv1, conv2;
  };

  explicit LamaGenerator(Config config) : config_(std::move(config)) {}
  Status bind(const nn::StateDict& weights);

  Config config_;
  FfcLayer stem_;
  std::vector<FfcLayer> downsampling_;
  std::vector<ResidualBlock> blocks_;
  std::vector<Upsampler> upsamplers_;
  FoldedConv output_conv_;  // 7x7 with bias
};

}  // namespace upres::models::lama
