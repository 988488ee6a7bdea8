// PLKSR and RealPLKSR: partial large kernel CNNs (Lee et al. 2024, "Partial Large Kernel CNNs for
// Efficient Super-Resolution", arXiv 2404.11848; RealPLKSR is neosr's real-world variant). A 3x3
// conv, n_blocks PLK blocks (channel mixer, a large-kernel conv on the first pdim channels, element-
// wise attention, a 1x1 refine, and for RealPLKSR a group norm or a channel layer norm), a 3x3 conv
// to 3 s^2 channels; its sum with the input repeated s^2 times per channel is pixel-shuffled (that
// is the pixel-shuffled conv plus the nearest-upsampled input). Configured from its weights (as
// spandrel does; RealPLKSR's norm_groups = 4 and PLKSR's sparse kernel options cannot be read from
// a file and take spandrel's defaults). Immutable after loading; thread-safe.
// Originals: https://github.com/dslisleedh/PLKSR (archs/plksr_arch.py),
// https://github.com/neosr-project/neosr (neosr/archs/realplksr_arch.py), as spandrel ships them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class PLKSR final : public UpscaleModel {
 public:
  enum class Variant { kPLKSR, kRealPLKSR };
  enum class Mixer { kCCM, kICCM, kDCCM };            // 3x3+1x1, 1x1+3x3, 3x3+3x3 (kernel sizes of .0/.2)
  enum class LargeKernel { kPLK, kSparsePLK, kRectSparsePLK };
  enum class Norm { kNone, kGroupNorm, kLayerNorm };  // RealPLKSR: GroupNorm(4) after refine, or LayerNorm first

  struct Config {
    Variant variant = Variant::kPLKSR;
    int64_t dim = 64;
    int n_blocks = 28;
    int upscale = 4;
    int kernel_size = 17;
    int64_t pdim = 16;   // channels the large kernel convolves: int(dim * split_ratio)
    Mixer mixer = Mixer::kCCM;
    LargeKernel lk = LargeKernel::kPLK;
    bool use_ea = true;
    Norm norm = Norm::kNone;

    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  static constexpr int kNormGroups = 4;  // RealPLKSR's norm_groups (spandrel's value)

  // spandrel's keys: feats.0, feats.1.lk.{conv|convs.0|mn_conv}, feats.1.refine,
  // feats.1.{channe_mixer|channel_mixer}.0.
  static bool matches(const nn::StateDict& weights);
  static Result<std::shared_ptr<const PLKSR>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return config_.variant == Variant::kPLKSR ? "PLKSR" : "RealPLKSR"; }
  int scale() const override { return config_.upscale; }
  double bytes_per_input_pixel() const override;
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }

 private:
  struct Conv {
    engine::Tensor weight, bias;
    engine::Conv2dAttrs attrs;
    std::string name;
    engine::Value operator()(engine::Graph& graph, engine::Value x) const;
  };
  struct Block {
    engine::Tensor norm_weight, norm_bias;  // layer_norm (before) or norm (after), by Config::norm
    Conv mixer0, mixer2;
    std::vector<Conv> lk;                   // summed on the first pdim channels
    Conv attn;                              // EA's conv (use_ea)
    Conv refine;
  };

  explicit PLKSR(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  Result<Block> bind_block(const nn::StateDict& weights, const std::string& key) const;
  engine::Value block(engine::Graph& graph, const Block& b, engine::Value x) const;
  engine::Value mixer_activation(engine::Graph& graph, engine::Value x) const;

  Config config_;
  Conv first_, last_;
  std::vector<Block> blocks_;
};

}  // namespace upres::models
