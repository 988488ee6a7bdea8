// GfpganRestorer: the clean GFPGAN architecture (GFPGANv1Clean, as in GFPGANv1.3.pth and
// GFPGANv1.4.pth): a U-Net encoder whose style code and SFT conditions drive a StyleGAN2 decoder.
// Runs as one executable, compiled once and cached: the U-Net gives the latents and the SFT
// conditions, and the decoder computes each layer's modulation factors from the latents in the
// graph. The decoder's stored noise is used, so results are deterministic.
// Not thread-safe (restore() caches the compiled graphs); use one instance per thread.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/gfpganv1_clean_arch.py
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/backend.h"
#include "engine/tensor.h"
#include "models/face_restorer.h"
#include "models/gfpgan_unet.h"
#include "models/stylegan2_clean_decoder.h"
#include "nn/state_dict.h"
#include "weights/weight_file.h"

namespace upres::models {

class GfpganRestorer final : public FaceRestorer {
 public:
  struct Config {
    int log_size = 9;  // face side 2^log_size (512 for v1.3/v1.4)
    int64_t num_style_feat = 512;
    bool different_w = true;  // one latent per decoder layer
    bool sft_half = true;
    std::vector<int64_t> unet_channels;  // [i]: at resolution 2^i, i in [2, log_size]
    std::vector<int64_t> decoder_channels;

    int out_size() const { return 1 << log_size; }
    // Everything from key shapes: log_size from the number of conv_body_down blocks, widths
    // (narrow, channel_multiplier) per resolution, num_style_feat from the modulations,
    // different_w from final_linear, sft_half from the condition branches.
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  static Result<std::unique_ptr<GfpganRestorer>> from_weights(const nn::StateDict& weights);

  std::string architecture() const override { return "GFPGAN"; }
  int face_size() const override { return config_.out_size(); }
  Result<engine::Tensor> restore(const engine::Tensor& face,
                                 const FaceRestoreOptions& options) override;

  // The network: x [1, 3, S, S] in [-1, 1] -> image [1, 3, S, S] (GFPGANv1Clean's first output,
  // with randomize_noise=False), not clamped.
  Result<engine::Tensor> forward(const engine::Tensor& x, const FaceRestoreOptions& options);

  const Config& config() const { return config_; }

  // forward()'s graph, encoder and decoder in one, for `compute_dtype` (the modulation factors'
  // sums are built differently for bf16): what tests and benchmarks prepare on a backend directly.
  Result<engine::Graph> build_graph(DType compute_dtype) const;

 private:
  explicit GfpganRestorer(Config config) : config_(std::move(config)) {}
  Status prepare(const FaceRestoreOptions& options);

  Config config_;
  GfpganUnet unet_;
  StyleGAN2CleanDecoder decoder_;

  // The network compiled for prepared_backend_ / prepared_dtype_.
  std::string prepared_backend_;
  DType prepared_dtype_ = DType::kF32;
  std::unique_ptr<engine::Backend> backend_;
  std::unique_ptr<engine::Executable> exec_;
};

// True when the keys are GFPGANv1Clean's (conv_body_first.weight, final_linear.weight,
// condition_scale.*, stylegan_decoder.style_convs.*).
bool looks_like_gfpgan(const nn::StateDict& weights);

// GFPGANv1Clean from an opened weight file; `source` (the path) prefixes error messages.
Result<std::unique_ptr<FaceRestorer>> load_gfpgan(weights::WeightFile file, std::string source);

}  // namespace upres::models
