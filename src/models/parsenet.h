// ParseNet: facexlib's face-parsing network (PSFRGAN's encoder, residual body and decoder with a
// 19-class mask head), used to paste restored faces back with a parsing mask. Configured from key
// shapes. Not thread-safe (parse() caches the compiled graph); use one instance per thread.
// Original: https://github.com/xinntao/facexlib/blob/master/facexlib/parsing/parsenet.py
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::models {

class ParseNet {
 public:
  static constexpr float kLeakySlope = 0.2f;  // facexlib's relu_type 'LeakyReLU'
  static constexpr int kMinFeatSize = 32;     // facexlib's min_feat_size

  // Upstream ConvLayer: [nearest 2x up] -> ReflectionPad2d(1) -> 3x3 conv (stride 2 for 'down')
  // -> [BatchNorm2d] -> [LeakyReLU(0.2) or PReLU]. Keys "<name>.conv2d.*", "<name>.norm.norm.*",
  // "<name>.relu.func.weight" (PReLU only).
  struct ConvLayer {
    enum class Scale { kNone, kDown, kUp };
    enum class Act { kNone, kLeaky, kPrelu };
    std::string name;
    engine::Tensor weight, bias;  // bias only without batch norm
    bool has_norm = false;
    engine::Tensor gamma, beta, mean, var;
    Act act = Act::kNone;
    engine::Tensor prelu_slope;
    Scale scale = Scale::kNone;
    // x: [1, in, h, w] -> [1, out, h', w'] with h' = h/2 (down), 2h (up) or h.
    engine::Value operator()(engine::Graph& graph, engine::Value x) const;
  };

  // Upstream ResidualBlock: conv2(conv1(x)) + shortcut(x); the shortcut is a plain ConvLayer
  // (bias, no norm, no activation) unless the block keeps both size and width.
  struct ResidualBlock {
    bool has_shortcut = false;
    ConvLayer shortcut, conv1, conv2;
    engine::Value forward(engine::Graph& graph, engine::Value x) const;
  };

  struct Config {
    int64_t base_ch = 64;     // encoder.0 output width
    int down_steps = 4;       // encoder.1.. residual blocks (log2(in_size / min_feat_size))
    int res_depth = 10;       // body blocks
    int up_steps = 4;         // decoder blocks
    int64_t parsing_ch = 19;  // out_mask_conv classes
    bool batch_norm = true;   // norm_type 'bn' (else 'none')
    bool prelu = false;       // relu_type 'prelu' (else 'LeakyReLU')

    // The size facexlib builds the network for: min_feat_size << down_steps (512 for
    // parsing_parsenet.pth).
    int in_size() const { return kMinFeatSize << down_steps; }
    // Block counts, classes, norm and activation from keys; widths are read while binding.
    // Unsupported when up_steps != down_steps (the mask would not be at the face's size).
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  static Result<std::unique_ptr<ParseNet>> from_weights(const nn::StateDict& weights);
  // Reads a plain state-dict .pth (or any weight file) and binds it; errors name the path.
  static Result<std::unique_ptr<ParseNet>> load(const std::filesystem::path& path);

  const Config& config() const { return config_; }

  // face: [1, 3, H, W] fp32 RGB in [0, 1], NCHW, H and W positive multiples of
  // 2^down_steps (facexlib: 512x512). The network sees (face - 0.5) / 0.5.
  // Returns out_mask: [1, parsing_ch, H, W] logits.
  Result<engine::Tensor> logits(const engine::Tensor& face, const std::string& backend);
  // The per-pixel argmax of logits() over the classes (first maximum on ties, as torch),
  // row-major H * W labels.
  Result<std::vector<uint8_t>> parse(const engine::Tensor& face, const std::string& backend);

  // Graph input "face" [1, 3, height, width] in [0, 1]; output out_mask [1, parsing_ch, h, w].
  Result<engine::Graph> build_graph(int height, int width) const;

 private:
  explicit ParseNet(Config config) : config_(config) {}
  Status bind(const nn::StateDict& weights);
  Status prepare(const std::string& backend, int height, int width);

  Config config_;
  ConvLayer encoder_first_;             // encoder.0: 3 -> base_ch, bias, no norm/act
  std::vector<ResidualBlock> encoder_;  // encoder.1 .. encoder.down_steps
  std::vector<ResidualBlock> body_;
  std::vector<ResidualBlock> decoder_;
  ConvLayer out_mask_conv_;  // out_img_conv is not needed for the mask

  // The executable compiled for (prepared_backend_, prepared_height_, prepared_width_).
  std::string prepared_backend_;
  int prepared_height_ = 0;
  int prepared_width_ = 0;
  std::unique_ptr<engine::Backend> backend_;
  std::unique_ptr<engine::Executable> executable_;
};

}  // namespace upres::models
