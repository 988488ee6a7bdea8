// SCUNet: the Swin-Conv-UNet blind denoiser (1x). Three stride-2 conv downsamplings and three 2x2
// transposed-conv upsamplings with additive skips, each level a run of ConvTransBlocks; the input is
// replicate-padded to a multiple of 64 at the bottom and right and the output cropped back, as the
// original's forward does. Configured from its weights. Immutable after loading; thread-safe.
// Original: https://github.com/cszn/SCUNet/blob/main/models/network_scunet.py (detection and
// configuration as spandrel's architectures/SCUNet/__init__.py)
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/scunet/conv_trans_block.h"
#include "models/upscale_model.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class SCUNet final : public UpscaleModel {
 public:
  // The input is padded to a multiple of this (3 halvings x the 8-pixel window).
  static constexpr int kPadMultiple = 64;
  // The stages in forward order, as state-dict prefixes.
  static constexpr std::array<const char*, 7> kStages = {"m_down1", "m_down2", "m_down3", "m_body",
                                                         "m_up3",   "m_up2",   "m_up1"};

  struct Config {
    int64_t in_channels = 3;
    int64_t dim = 64;                 // m_head's output channels
    std::array<int, 7> blocks = {4, 4, 4, 4, 4, 4, 4};  // ConvTransBlocks per stage (kStages order)

    // dim and in_channels from m_head.0.weight, block counts from the stage sequence lengths (the
    // down stages end with their conv, the up stages start with their transposed conv).
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  // m_head.0.weight and m_tail.0.weight (4-d) plus a ConvTransBlock key, so KAIR's plain UNet and
  // DRUNet (m_head.weight) are not taken.
  static bool matches(const nn::StateDict& weights);

  static Result<std::shared_ptr<const SCUNet>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "SCUNet"; }
  int scale() const override { return 1; }
  double bytes_per_input_pixel() const override;
  // Not measured on the published weights yet (not available offline): precision auto keeps fp32.
  bool is_faithful_in_bf16() const override { return false; }
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }

 private:
  explicit SCUNet(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  // Channels of stage `i`'s ConvTransBlocks (conv half + transformer half).
  int64_t stage_channels(size_t stage) const;

  Config config_;
  nn::Conv2d head_;                                         // m_head.0: 3x3, in -> dim
  std::array<std::vector<scunet::ConvTransBlock>, 7> stages_;
  std::array<engine::Tensor, 3> down_;                      // 2x2 stride-2 convs, c -> 2c
  std::array<engine::Tensor, 3> up_;                        // 2x2 stride-2 transposed convs, 2c -> c
  nn::Conv2d tail_;                                         // m_tail.0: 3x3, dim -> in
};

}  // namespace upres::models
