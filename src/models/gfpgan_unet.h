// GfpganUnet: GFPGANv1Clean's U-Net (ResBlocks with bilinear down/upsampling), the final linear
// to the style code, and the SFT condition branches (condition_scale / condition_shift) that
// modulate the StyleGAN2 decoder. Immutable after binding; thread-safe.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/gfpganv1_clean_arch.py
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"

namespace upres::models {

class GfpganUnet {
 public:
  struct Config {
    int log_size = 9;               // input side 2^log_size
    std::vector<int64_t> channels;  // [i]: channels at resolution 2^i, i in [2, log_size]
    int64_t style_code_size = 0;    // final_linear outputs
    bool sft_half = true;           // condition branches output channels[i] (else 2x)
  };

  // What the encoder half produces. skips[0] is the deepest (4x4), skips.back() 2^(log_size-1).
  struct Encoding {
    engine::Value style_code;  // [1, style_code_size]
    engine::Value feat;        // [1, C4, 4, 4]
    std::vector<engine::Value> skips;
  };

  GfpganUnet() = default;

  // Binds conv_body_first, conv_body_down.N, final_conv, final_linear, conv_body_up.N,
  // condition_scale.N and condition_shift.N (toRGB.N, the auxiliary outputs, are not used).
  static Result<GfpganUnet> bind(const nn::StateDict& weights, Config config);

  const Config& config() const { return config_; }

  // x: [1, 3, S, S] in [-1, 1].
  Encoding encode(engine::Graph& graph, engine::Value x) const;
  // The decoder half from encode()'s feat and skips: (scale, shift) per resolution 8 .. S, in
  // the order the StyleGAN2 decoder consumes them.
  std::vector<engine::Value> conditions(engine::Graph& graph, engine::Value feat,
                                        const std::vector<engine::Value>& skips) const;

 private:
  struct ResBlock {  // conv1, resample, conv2 (leaky ReLU 0.2 after each) + resampled 1x1 skip
    nn::Conv2d conv1;
    nn::Conv2d conv2;
    nn::Conv2d skip;
    float scale_factor = 0.5f;  // 0.5 (down, sizes even) or 2 (up)
    engine::Value resample(engine::Graph& g, engine::Value x) const;
    engine::Value forward(engine::Graph& g, engine::Value x) const;
  };
  struct ConditionBranch {  // conv 3x3, leaky ReLU 0.2, conv 3x3 (Sequential indices 0 and 2)
    nn::Conv2d conv0;
    nn::Conv2d conv2;
    engine::Value forward(engine::Graph& g, engine::Value x) const;
  };

  static Result<ResBlock> bind_res_block(const nn::StateDict& weights, const std::string& key,
                                         int64_t in, int64_t out, float scale_factor);
  static Result<ConditionBranch> bind_condition(const nn::StateDict& weights,
                                                const std::string& key, int64_t channels,
                                                int64_t out);

  Config config_;
  nn::Conv2d conv_body_first_;
  std::vector<ResBlock> conv_body_down_;
  nn::Conv2d final_conv_;
  engine::Tensor final_linear_weight_;  // [style_code_size, C4 * 16]
  engine::Tensor final_linear_bias_;    // [style_code_size]
  std::vector<ResBlock> conv_body_up_;
  std::vector<ConditionBranch> condition_scale_;
  std::vector<ConditionBranch> condition_shift_;
};

}  // namespace upres::models
