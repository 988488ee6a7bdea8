// OmniSR: omni self-attention super-resolution (Wang et al. 2023, "Omni Aggregation Networks for
// Lightweight Image Super-Resolution"). A 3x3 conv, res_num OSAG groups (block_num OSA blocks, a 1x1
// conv, the group's residual, ESA), a 3x3 conv plus the first conv's output, and a conv + pixel
// shuffle; the input is zero-padded right/bottom to the window multiple and the output cropped.
// Configured from its weights (as spandrel does). Immutable after loading; thread-safe.
// Original: https://github.com/Francis0625/Omni-SR (ops/OmniSR.py, OSAG.py), as spandrel ships it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/omnisr/esa.h"
#include "models/omnisr/omnisr_layers.h"
#include "models/omnisr/osa_block.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class OmniSR final : public UpscaleModel {
 public:
  struct Config {
    int64_t num_feat = 64;
    int res_num = 1;       // OSAG groups (residual_layer.<i>)
    int block_num = 1;     // OSA blocks per group
    int window_size = 8;   // from rel_pos_bias (2w-1)^2 rows; 8 when the file has no position bias
    bool with_pe = true;
    bool bias = true;      // input / output / up / the groups' 1x1 convs carry biases
    int upscale = 4;

    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  // spandrel's detection keys.
  static bool matches(const nn::StateDict& weights);
  static Result<std::shared_ptr<const OmniSR>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "OmniSR"; }
  int scale() const override { return config_.upscale; }
  double bytes_per_input_pixel() const override;
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }
  // The side the input is padded to: the window multiple, and at least ESA's minimum.
  int padded_side(int side) const;

 private:
  struct Group {  // OSAG
    std::vector<omnisr::OSABlock> blocks;
    omnisr::Conv conv;  // residual_layer.<block_num>
    omnisr::ESA esa;
  };

  explicit OmniSR(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);

  Config config_;
  omnisr::Conv input_, output_, up_;
  std::vector<Group> groups_;
};

}  // namespace upres::models
