// SRVGGNetCompact: Real-ESRGAN's compact VGG-style network (a plain conv + activation chain at
// input resolution, a conv to 3*scale^2 channels, pixel shuffle, plus the nearest-upsampled input),
// configured from its weights. Immutable after loading; thread-safe.
// Original: https://github.com/xinntao/Real-ESRGAN/blob/master/realesrgan/archs/srvgg_arch.py
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/upscale_model.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class SRVGGNetCompact final : public UpscaleModel {
 public:
  // act_type of the original: "prelu" (weights body.<2i+1>.weight, one slope per channel),
  // "relu", "leakyrelu" (slope 0.1).
  enum class ActType { kPrelu, kRelu, kLeakyRelu };
  static constexpr float kLeakySlope = 0.1f;

  struct Config {
    int64_t in_channels = 3;
    int64_t out_channels = 3;
    int64_t num_feat = 64;
    int num_conv = 16;
    int upscale = 4;
    ActType act_type = ActType::kPrelu;

    // Shapes give everything but ReLU vs LeakyReLU (neither has weights): PReLU when
    // body.1.weight exists, else `weightless_act`, else the WeightMap metadata "act_type"
    // ("relu" / "leakyrelu", as a safetensors __metadata__ entry), else LeakyReLU.
    static Result<Config> from_weights(const nn::StateDict& weights,
                                       std::optional<ActType> weightless_act = std::nullopt);
  };

  // True when every key is body.<i>.weight/bias with a 4-d body.0.weight (any act_type).
  static bool matches(const nn::StateDict& weights);

  static Result<std::shared_ptr<const SRVGGNetCompact>> from_weights(
      const weights::WeightMap& weights, std::optional<ActType> weightless_act = std::nullopt);

  std::string architecture() const override { return "SRVGGNetCompact"; }
  int scale() const override { return config_.upscale; }
  double bytes_per_input_pixel() const override;
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }

 private:
  explicit SRVGGNetCompact(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  engine::Value activation(engine::Graph& graph, engine::Value x, size_t index) const;

  Config config_;
  std::vector<nn::Conv2d> convs_;             // body.0, body.2, ..., body.<2*num_conv+2>
  std::vector<engine::Tensor> prelu_slopes_;  // body.1, body.3, ... (PReLU only), [num_feat]
};

}  // namespace upres::models
