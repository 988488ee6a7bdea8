// StyleGAN2CleanDecoder: GFPGAN's StyleGAN2 generator (StyleGAN2GeneratorClean with the CSFT
// spatial feature transform) as a graph fragment: constant input, style convs with stored noise,
// ToRGB with bilinear skip upsampling. Each layer's style is a row of the latents value, so one
// compiled graph serves every face; its ModulatedConv2d factors are computed in the graph.
// Immutable after binding; thread-safe.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
// and StyleGAN2GeneratorCSFT in gfpganv1_clean_arch.py.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/modulated_conv2d.h"
#include "nn/state_dict.h"

namespace upres::models {

class StyleGAN2CleanDecoder {
 public:
  struct Config {
    int log_size = 9;  // output side 2^log_size
    int64_t num_style_feat = 512;
    std::vector<int64_t> channels;  // [i]: channels at resolution 2^i, i in [2, log_size]
    bool sft_half = true;           // SFT on the second half of the channels only

    int num_latent() const { return 2 * log_size - 2; }
  };

  StyleGAN2CleanDecoder() = default;

  // Binds the "<prefix>.*" keys (constant_input, style_conv1, to_rgb1, style_convs.N, to_rgbs.N,
  // noises.noiseN). style_mlp is not used (GFPGAN feeds latents directly).
  static Result<StyleGAN2CleanDecoder> bind(const nn::StateDict& weights, const std::string& prefix,
                                            Config config);

  const Config& config() const { return config_; }

  // conditions: (scale, shift) for each resolution 8, 16, ..., 2^log_size, each
  // [1, C_sft, r, r]; latents: [1, num_latent() * num_style_feat] (one latent per layer) or
  // [1, num_style_feat] (one shared by every layer) -> image [1, 3, 2^log_size, 2^log_size].
  // sums: how the layers' modulation factors are computed (see FactorSums).
  engine::Value forward(engine::Graph& graph, const std::vector<engine::Value>& conditions,
                        engine::Value latents, FactorSums sums) const;

 private:
  struct StyleConv {  // modulated conv * sqrt(2) + noise * strength + bias, leaky ReLU 0.2
    ModulatedConv2d conv;
    engine::Tensor noise;         // [1, 1, r, r], the stored noise buffer
    engine::Tensor noise_weight;  // [out, 1, 1, 1], every entry the noise strength
    engine::Tensor bias;          // [out]
    int latent = 0;
  };
  struct ToRGB {  // 1x1 modulated conv (no demodulation) + bias + upsampled skip
    ModulatedConv2d conv;
    engine::Tensor bias;  // [3]
    int latent = 0;
  };

  Result<StyleConv> bind_style_conv(const nn::StateDict& weights, const std::string& key,
                                    const ModulatedConv2dShape& shape, int noise_index);
  Result<ToRGB> bind_to_rgb(const nn::StateDict& weights, const std::string& key,
                            int64_t in_channels);
  // The style row [1, num_style_feat] of `latents` that layer index `latent` uses.
  engine::Value style(engine::Graph& g, engine::Value latents, int latent) const;
  engine::Value style_conv(engine::Graph& g, const StyleConv& layer, engine::Value x, engine::Value latents,
                           FactorSums sums) const;
  engine::Value to_rgb(engine::Graph& g, const ToRGB& layer, engine::Value x, engine::Value skip,
                       engine::Value latents, FactorSums sums) const;
  engine::Value sft(engine::Graph& g, engine::Value x, engine::Value scale,
                    engine::Value shift) const;

  Config config_;
  std::string prefix_;
  engine::Tensor constant_input_;  // [1, C4, 4, 4]
  StyleConv style_conv1_;
  ToRGB to_rgb1_;
  std::vector<StyleConv> style_convs_;  // two per resolution 8 .. 2^log_size
  std::vector<ToRGB> to_rgbs_;          // one per resolution 8 .. 2^log_size
};

}  // namespace upres::models
