// RetinaFace: facexlib's face detector network (MobileNetV1-0.25 or ResNet-50 body, FPN, SSH,
// class/box/landmark heads per level), the backbone detected from the state-dict keys. Immutable
// after loading; thread-safe.
// Original: https://github.com/xinntao/facexlib/blob/master/facexlib/detection/retinaface.py
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/op.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class RetinaFace {
 public:
  enum class Backbone { kMobileNet025, kResNet50 };
  static constexpr int kAnchorsPerCell = 2;
  static constexpr int kStrides[3] = {8, 16, 32};

  // A bias-free convolution followed by BatchNorm2d and an optional activation (facexlib's
  // conv_bn / conv_bn_no_relu / conv_bn1X1 / conv_dw halves, torchvision's conv+bn pairs).
  struct ConvBn {
    enum class Act { kNone, kRelu, kLeaky };
    std::string name;  // state-dict key of the conv
    engine::Tensor weight, gamma, beta, mean, var;
    engine::Conv2dAttrs attrs;
    Act act = Act::kNone;
    float slope = 0.0f;  // kLeaky negative slope

    // Binds "<conv_key>.weight" [out, in/groups, k, k] and "<bn_key>.{weight,bias,running_*}".
    static Result<ConvBn> bind(const nn::StateDict& weights, const std::string& conv_key,
                               const std::string& bn_key, int64_t in, int64_t out, int kernel,
                               int stride = 1, int groups = 1);
    ConvBn with_act(Act a, float negative_slope = 0.0f) &&;
    // x: [n, in, h, w] -> [n, out, ceil(h / stride), ceil(w / stride)] for the paddings used here
    engine::Value operator()(engine::Graph& graph, engine::Value x) const;
  };

  // torchvision Bottleneck (ResNet-50 v1.5: stride on the 3x3 conv).
  struct Bottleneck {
    ConvBn conv1, conv2, conv3;
    bool has_downsample = false;
    ConvBn downsample;
    engine::Value forward(engine::Graph& graph, engine::Value x) const;
  };

  struct Ssh {
    ConvBn conv3x3, conv5x5_1, conv5x5_2, conv7x7_2, conv7x7_3;
    engine::Value forward(engine::Graph& graph, engine::Value x) const;
  };

  struct Head {  // ClassHead / BboxHead / LandmarkHead: one 1x1 conv with bias per level
    std::string name;
    engine::Tensor weight, bias;
    int64_t values_per_anchor = 0;  // 2, 4 or 10
    // x: [1, C, h, w] -> [1, h * w * kAnchorsPerCell, values_per_anchor]
    engine::Value forward(engine::Graph& graph, engine::Value x) const;
  };

  struct Config {
    Backbone backbone = Backbone::kResNet50;
    int64_t in_channel = 256;   // facexlib cfg['in_channel']: FPN inputs are 2x, 4x, 8x this
    int64_t out_channel = 256;  // FPN / SSH width
    // facexlib: FPN and SSH use LeakyReLU(0.1) when out_channel <= 64, else ReLU.
    float fpn_slope() const { return out_channel <= 64 ? 0.1f : 0.0f; }
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  static Result<std::shared_ptr<const RetinaFace>> from_weights(const weights::WeightMap& weights);
  // Reads the file (keys may carry `module.`) and binds it.
  static Result<std::shared_ptr<const RetinaFace>> load(const std::filesystem::path& path);

  // "RetinaFace ResNet50" or "RetinaFace MobileNet0.25".
  std::string name() const;
  const Config& config() const { return config_; }

  // Number of anchors for an input of height x width: sum over strides s of
  // ceil(h / s) * ceil(w / s) * kAnchorsPerCell, in the order of the outputs' rows.
  static int64_t anchor_count(int height, int width);

  // Input "input" [1, 3, H, W]: BGR pixels in 0..255 minus (104, 117, 123).
  // Outputs: loc [1, N, 4], conf [1, N, 2] (softmax over the last axis), landmarks [1, N, 10],
  // N = anchor_count(H, W).
  Result<engine::Graph> build_graph(int height, int width) const;

 private:
  explicit RetinaFace(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  Status bind_mobilenet(const nn::StateDict& weights);  // retinaface_backbone.cpp
  Status bind_resnet50(const nn::StateDict& weights);   // retinaface_backbone.cpp
  Status bind_necks(const nn::StateDict& weights);
  // x: the network input -> the three feature maps at strides 8, 16, 32.
  std::vector<engine::Value> backbone_forward(engine::Graph& graph, engine::Value x) const;

  Config config_;
  // MobileNet: stages_[s] holds the ConvBn sequence of body.stage{s+1}.
  std::vector<std::vector<ConvBn>> stages_;
  // ResNet-50: stem and layer1..layer4.
  ConvBn stem_;
  std::vector<std::vector<Bottleneck>> layers_;

  ConvBn fpn_output_[3];
  ConvBn fpn_merge_[2];  // merge1, merge2
  Ssh ssh_[3];
  Head class_head_[3], bbox_head_[3], landmark_head_[3];
};

}  // namespace upres::models
