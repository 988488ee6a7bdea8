// RRDBNet: the ESRGAN / Real-ESRGAN generator (residual-in-residual dense blocks, nearest 2x
// upsampling stages, optional pixel-unshuffle of the input for x2/x1 models), configured from its
// weights in any of the three key layouts. Immutable after loading; thread-safe.
// Original: https://github.com/xinntao/BasicSR/blob/master/basicsr/archs/rrdbnet_arch.py
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "models/rrdbnet_keys.h"
#include "models/upscale_model.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class RRDBNet final : public UpscaleModel {
 public:
  static constexpr float kLeakySlope = 0.2f;
  static constexpr float kResidualScale = 0.2f;

  struct Config {
    RRDBNetLayout layout = RRDBNetLayout::kBasicSR;
    int64_t in_channels = 3;   // conv_first input: 3, or 3 * unshuffle^2
    int64_t out_channels = 3;
    int64_t num_feat = 64;
    int64_t num_grow_ch = 32;
    int num_block = 23;
    int num_upsample = 2;      // nearest-2x + conv stages (x4 body)
    int unshuffle = 1;         // pixel-unshuffle factor of the input: 1, 2 or 4

    int scale() const { return (1 << num_upsample) / unshuffle; }
    // Reads every field from tensor shapes (spandrel's rules, growth from conv1's output).
    // Unsupported for ESRGAN+ files, non-RGB models or a scale below 1. A 3x old-arch file (one
    // 3x nearest stage) has the keys and shapes of a 2x one and is read as 2x, as spandrel does.
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  // Requires: weights hold an RRDBNet (detect_rrdbnet_layout is true).
  static Result<std::shared_ptr<const RRDBNet>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "RRDBNet"; }
  int scale() const override { return config_.scale(); }
  int size_multiple() const override { return config_.unshuffle; }
  double bytes_per_input_pixel() const override;
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }
  int64_t parameter_count() const;

 private:
  struct ResidualDenseBlock {
    nn::Conv2d conv1, conv2, conv3, conv4, conv5;
    engine::Value forward(engine::Graph& graph, engine::Value x) const;
  };
  struct RRDB {
    ResidualDenseBlock rdb1, rdb2, rdb3;
    engine::Value forward(engine::Graph& graph, engine::Value x) const;
  };

  explicit RRDBNet(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  Result<ResidualDenseBlock> bind_rdb(const nn::StateDict& weights, const RRDBNetKeys& keys, int block,
                                      int rdb) const;

  Config config_;
  nn::Conv2d conv_first_;
  std::vector<RRDB> body_;
  nn::Conv2d conv_body_;
  std::vector<nn::Conv2d> conv_up_;  // conv_up1, conv_up2, ...
  nn::Conv2d conv_hr_;
  nn::Conv2d conv_last_;
};

}  // namespace upres::models
