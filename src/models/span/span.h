// SPAN: swift parameter-free attention network (Wan et al. 2024, "Swift Parameter-free Attention
// Network for Efficient Super-Resolution"). Six SPAB blocks of three Conv3XC convolutions with SiLU,
// a parameter-free attention sigmoid(out3) - 0.5, a 1x1 conv over four concatenated feature maps and
// a conv + pixel shuffle. Each Conv3XC is one 3x3 conv at inference: a trained file's 1x1 -> 3x3 ->
// 1x1 branch plus its 1x1 skip are fused at load exactly as the original's eval mode does
// (update_params); a file holding only eval_conv weights is used as it is. Configured from its
// weights (as spandrel does). Immutable after loading; thread-safe.
// Original: https://github.com/hongyuanyu/SPAN (basicsr/archs/span_arch.py), as spandrel ships it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "base/result.h"
#include "engine/graph.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class SPAN final : public UpscaleModel {
 public:
  enum class Form { kTrained, kFused };  // Conv3XC branches present, or eval_conv only

  struct Config {
    int64_t feature_channels = 48;
    int upscale = 4;
    bool norm = true;  // x = (x - rgb_mean) * 255 first; a "no_norm" entry turns it off
    Form form = Form::kTrained;

    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  // spandrel's keys for the trained form (sk and eval_conv both present), or the fused form's
  // (eval_conv without sk): conv_1, block_1.c1_r, conv_cat, upsampler.0.
  static bool matches(const nn::StateDict& weights);
  static Result<std::shared_ptr<const SPAN>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "SPAN"; }
  int scale() const override { return config_.upscale; }
  double bytes_per_input_pixel() const override;
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }

 private:
  // One Conv3XC as its inference 3x3 convolution (padding 1).
  struct FusedConv {
    engine::Tensor weight;  // [out, in, 3, 3]
    engine::Tensor bias;    // [out]
    std::string name;
    engine::Value operator()(engine::Graph& graph, engine::Value x) const;
  };
  struct Block {  // SPAB
    FusedConv c1_r, c2_r, c3_r;
  };

  explicit SPAN(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  Result<FusedConv> bind_conv3xc(const nn::StateDict& weights, const std::string& key, int64_t in, int64_t out) const;
  // SPAB: returns (out, silu(out1)) (the original's in-place SiLU activates the out1 it returns).
  std::pair<engine::Value, engine::Value> block(engine::Graph& graph, const Block& b, engine::Value x) const;

  Config config_;
  FusedConv conv_1_, conv_2_;
  Block blocks_[6];
  engine::Tensor conv_cat_weight_, conv_cat_bias_;      // [F, 4F, 1, 1], [F]
  engine::Tensor upsampler_weight_, upsampler_bias_;    // [3 s^2, F, 3, 3], [3 s^2]
};

}  // namespace upres::models
