// The convolutional blocks of CodeFormer: the VQGAN's encoder and generator blocks (conv,
// ResBlock and AttnBlock with GroupNorm(32) + swish, Downsample, Upsample, the final Normalize),
// read as a sequence from "<prefix>.N" keys, and the SFT block that fuses encoder features into the
// generator. Immutable after binding; thread-safe.
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/vqgan_arch.py
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"

namespace upres::models {

// torch.nn.GroupNorm(32, channels, eps=1e-6, affine=True): the VQGAN's `normalize`.
class VqganGroupNorm {
 public:
  static constexpr int kGroups = 32;
  static constexpr float kEps = 1e-6f;

  // Binds "<key>.weight" and "<key>.bias", both [channels].
  static Result<VqganGroupNorm> bind(const nn::StateDict& weights, const std::string& key,
                                     int64_t channels);
  // x: [n, c, h, w] -> same
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;

 private:
  std::string name_;
  engine::Tensor weight_;
  engine::Tensor bias_;
};

// x + conv2(swish(norm2(conv1(swish(norm1(x)))))), with a 1x1 conv_out on the skip when the
// channel count changes.
struct VqganResBlock {
  VqganGroupNorm norm1;
  nn::Conv2d conv1;
  VqganGroupNorm norm2;
  nn::Conv2d conv2;
  std::optional<nn::Conv2d> conv_out;

  // Output channels from conv1's weight; in_channels is checked against it.
  static Result<VqganResBlock> bind(const nn::StateDict& weights, const std::string& key,
                                    int64_t in_channels);
  int64_t out_channels() const { return conv1.shape().out_channels; }
  // x: [1, in, h, w] -> [1, out, h, w]
  engine::Value forward(engine::Graph& graph, engine::Value x) const;
};

// Single-head spatial self-attention: x + proj_out(softmax(q^T k / sqrt(c)) applied to v).
struct VqganAttnBlock {
  VqganGroupNorm norm;
  nn::Conv2d q, k, v, proj_out;

  static Result<VqganAttnBlock> bind(const nn::StateDict& weights, const std::string& key,
                                     int64_t channels);
  // x: [1, c, h, w] -> same
  engine::Value forward(engine::Graph& graph, engine::Value x) const;
};

enum class VqganBlockKind { kConv, kResBlock, kAttnBlock, kDownsample, kUpsample, kNormalize };

// One entry of encoder.blocks / generator.blocks. Only the members of its kind are bound.
struct VqganBlock {
  VqganBlockKind kind = VqganBlockKind::kConv;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  nn::Conv2d conv;  // kConv (3x3, padding 1), kUpsample (after nearest 2x)
  std::optional<VqganResBlock> res;
  std::optional<VqganAttnBlock> attn;
  std::optional<VqganGroupNorm> norm;
  engine::Tensor down_weight;  // kDownsample: 3x3 stride 2 after zero padding (0, 1, 0, 1)
  engine::Tensor down_bias;
  std::string name;

  // Spatial side after this block for an input of side `side`.
  int64_t output_side(int64_t side) const;
  // x: [1, in_channels, s, s] -> [1, out_channels, output_side(s), output_side(s)]
  engine::Value forward(engine::Graph& graph, engine::Value x) const;
};

// Binds "<prefix>.0" ... "<prefix>.<n-1>", recognising each block by its keys (norm1 -> ResBlock,
// q -> AttnBlock, conv -> Downsample or Upsample as `upsampling` says, a 4-d weight -> conv, a 1-d
// weight -> Normalize) and checking that each block takes the channels the previous one gives.
Result<std::vector<VqganBlock>> bind_vqgan_blocks(const nn::StateDict& weights,
                                                  const std::string& prefix, int64_t in_channels,
                                                  bool upsampling);

// CodeFormer's Fuse_sft_block: enc = encode_enc(cat(enc, dec)); scale and shift are
// conv-LeakyReLU(0.2)-conv of enc; out = dec + w * (dec * scale + shift).
struct FuseSftBlock {
  VqganResBlock encode_enc;
  nn::Conv2d scale0, scale2, shift0, shift2;

  static Result<FuseSftBlock> bind(const nn::StateDict& weights, const std::string& key,
                                   int64_t channels);
  int64_t channels() const { return encode_enc.out_channels(); }
  // enc, dec: [1, c, h, w]; w: a [1, 1, 1, 1] graph value (the fidelity weight) -> [1, c, h, w]
  engine::Value forward(engine::Graph& graph, engine::Value enc, engine::Value dec,
                        engine::Value w) const;
};

}  // namespace upres::models
