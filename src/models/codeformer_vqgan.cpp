// CodeFormer's convolutional blocks: binding from state-dict keys and their graphs.
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/vqgan_arch.py
// (Fuse_sft_block: basicsr/archs/codeformer_arch.py)
#include "models/codeformer_vqgan.h"

#include <cmath>
#include <utility>

namespace upres::models {
namespace {

constexpr float kSftLeakySlope = 0.2f;

nn::Conv2dShape conv3x3(int64_t in, int64_t out) {
  return {.in_channels = in, .out_channels = out};
}
nn::Conv2dShape conv1x1(int64_t in, int64_t out) {
  return {.in_channels = in, .out_channels = out, .kernel = 1, .padding = 0};
}

// Output channels of the conv "<key>.weight" (its dim 0).
Result<int64_t> conv_out_channels(const nn::StateDict& weights, const std::string& key) {
  return weights.dim(key + ".weight", 0);
}

engine::Value swish(engine::Graph& g, engine::Value x) { return g.silu(x); }

}  // namespace

Result<VqganGroupNorm> VqganGroupNorm::bind(const nn::StateDict& weights, const std::string& key,
                                            int64_t channels) {
  if (channels % kGroups != 0) {
    return corrupt("'" + key + "': GroupNorm(32) over " + std::to_string(channels) + " channels");
  }
  VqganGroupNorm norm;
  norm.name_ = key;
  UPRES_ASSIGN_OR_RETURN(norm.weight_, weights.tensor(key + ".weight", {channels}));
  UPRES_ASSIGN_OR_RETURN(norm.bias_, weights.tensor(key + ".bias", {channels}));
  return norm;
}

engine::Value VqganGroupNorm::operator()(engine::Graph& g, engine::Value x) const {
  return g.named(g.group_norm(x, weight_, bias_, {.groups = kGroups, .eps = kEps}), name_);
}

Result<VqganResBlock> VqganResBlock::bind(const nn::StateDict& weights, const std::string& key,
                                          int64_t in_channels) {
  VqganResBlock b;
  UPRES_ASSIGN_OR_RETURN(const int64_t out, conv_out_channels(weights, key + ".conv1"));
  UPRES_ASSIGN_OR_RETURN(b.norm1, VqganGroupNorm::bind(weights, key + ".norm1", in_channels));
  UPRES_ASSIGN_OR_RETURN(b.conv1,
                         nn::Conv2d::bind(weights, key + ".conv1", conv3x3(in_channels, out)));
  UPRES_ASSIGN_OR_RETURN(b.norm2, VqganGroupNorm::bind(weights, key + ".norm2", out));
  UPRES_ASSIGN_OR_RETURN(b.conv2, nn::Conv2d::bind(weights, key + ".conv2", conv3x3(out, out)));
  if (in_channels != out) {
    UPRES_ASSIGN_OR_RETURN(b.conv_out,
                           nn::Conv2d::bind(weights, key + ".conv_out", conv1x1(in_channels, out)));
  }
  return b;
}

// x: [1, in, h, w] -> [1, out, h, w]
engine::Value VqganResBlock::forward(engine::Graph& g, engine::Value x) const {
  engine::Value h = conv1(g, swish(g, norm1(g, x)));
  h = conv2(g, swish(g, norm2(g, h)));
  engine::Value skip = conv_out ? (*conv_out)(g, x) : x;
  return g.add(h, skip);
}

Result<VqganAttnBlock> VqganAttnBlock::bind(const nn::StateDict& weights, const std::string& key,
                                            int64_t channels) {
  VqganAttnBlock b;
  UPRES_ASSIGN_OR_RETURN(b.norm, VqganGroupNorm::bind(weights, key + ".norm", channels));
  UPRES_ASSIGN_OR_RETURN(b.q, nn::Conv2d::bind(weights, key + ".q", conv1x1(channels, channels)));
  UPRES_ASSIGN_OR_RETURN(b.k, nn::Conv2d::bind(weights, key + ".k", conv1x1(channels, channels)));
  UPRES_ASSIGN_OR_RETURN(b.v, nn::Conv2d::bind(weights, key + ".v", conv1x1(channels, channels)));
  UPRES_ASSIGN_OR_RETURN(b.proj_out,
                         nn::Conv2d::bind(weights, key + ".proj_out", conv1x1(channels, channels)));
  return b;
}

// x: [1, c, h, w] -> same
engine::Value VqganAttnBlock::forward(engine::Graph& g, engine::Value x) const {
  const engine::Shape shape = g.shape(x);
  const int64_t c = shape[1];
  const int64_t tokens = shape[2] * shape[3];
  engine::Value h = norm(g, x);
  engine::Value query = g.permute(g.reshape(q(g, h), {1, c, tokens}), {0, 2, 1});  // [1, L, c]
  engine::Value key = g.reshape(k(g, h), {1, c, tokens});                          // [1, c, L]
  engine::Value value = g.reshape(v(g, h), {1, c, tokens});                        // [1, c, L]
  const float scale = 1.0f / std::sqrt(static_cast<float>(c));
  engine::Value attn = g.softmax(g.scale(g.matmul(query, key), scale), 2);  // [1, L, L]
  engine::Value out = g.matmul(value, g.permute(attn, {0, 2, 1}));          // [1, c, L]
  return g.add(x, proj_out(g, g.reshape(out, shape)));
}

int64_t VqganBlock::output_side(int64_t side) const {
  if (kind == VqganBlockKind::kDownsample) return side / 2;
  if (kind == VqganBlockKind::kUpsample) return side * 2;
  return side;
}

engine::Value VqganBlock::forward(engine::Graph& g, engine::Value x) const {
  switch (kind) {
    case VqganBlockKind::kConv:
      return conv(g, x);
    case VqganBlockKind::kResBlock:
      return res->forward(g, x);
    case VqganBlockKind::kAttnBlock:
      return attn->forward(g, x);
    case VqganBlockKind::kNormalize:
      return (*norm)(g, x);
    case VqganBlockKind::kDownsample: {
      engine::Value padded = g.pad(x, {.left = 0, .right = 1, .top = 0, .bottom = 1});
      return g.named(g.conv2d(padded, down_weight, down_bias, {.stride = 2}), name + ".conv");
    }
    case VqganBlockKind::kUpsample: {
      const engine::ResizeAttrs nearest2x{
          .mode = engine::ResizeMode::kNearest, .scale_h = 2, .scale_w = 2};
      return conv(g, g.resize(x, nearest2x));
    }
  }
  return x;
}

namespace {

Status bind_downsample(const nn::StateDict& weights, const std::string& key, VqganBlock& b) {
  const int64_t c = b.in_channels;
  UPRES_ASSIGN_OR_RETURN(b.down_weight, weights.tensor(key + ".conv.weight", {c, c, 3, 3}));
  UPRES_ASSIGN_OR_RETURN(b.down_bias, weights.tensor(key + ".conv.bias", {c}));
  b.out_channels = c;
  return Status::ok();
}

// Binds the block at `key` taking `in_channels`, recognised by its keys.
Result<VqganBlock> bind_block(const nn::StateDict& weights, const std::string& key,
                              int64_t in_channels, bool upsampling) {
  VqganBlock b;
  b.name = key;
  b.in_channels = in_channels;
  b.out_channels = in_channels;
  if (weights.has(key + ".norm1.weight")) {
    b.kind = VqganBlockKind::kResBlock;
    UPRES_ASSIGN_OR_RETURN(b.res, VqganResBlock::bind(weights, key, in_channels));
    b.out_channels = b.res->out_channels();
  } else if (weights.has(key + ".q.weight")) {
    b.kind = VqganBlockKind::kAttnBlock;
    UPRES_ASSIGN_OR_RETURN(b.attn, VqganAttnBlock::bind(weights, key, in_channels));
  } else if (weights.has(key + ".conv.weight") && !upsampling) {
    b.kind = VqganBlockKind::kDownsample;
    UPRES_RETURN_IF_ERROR(bind_downsample(weights, key, b));
  } else if (weights.has(key + ".conv.weight")) {
    b.kind = VqganBlockKind::kUpsample;
    UPRES_ASSIGN_OR_RETURN(
        b.conv, nn::Conv2d::bind(weights, key + ".conv", conv3x3(in_channels, in_channels)));
  } else if (const std::vector<int64_t>* shape = weights.shape(key + ".weight");
             shape && shape->size() == 4) {
    b.kind = VqganBlockKind::kConv;
    b.out_channels = (*shape)[0];
    UPRES_ASSIGN_OR_RETURN(b.conv,
                           nn::Conv2d::bind(weights, key, conv3x3(in_channels, b.out_channels)));
  } else if (shape && shape->size() == 1) {
    b.kind = VqganBlockKind::kNormalize;
    UPRES_ASSIGN_OR_RETURN(b.norm, VqganGroupNorm::bind(weights, key, in_channels));
  } else {
    return corrupt("'" + key +
                   "': no weights of a known VQGAN block (conv, ResBlock, AttnBlock, "
                   "Downsample, Upsample, GroupNorm)");
  }
  return b;
}

}  // namespace

Result<std::vector<VqganBlock>> bind_vqgan_blocks(const nn::StateDict& weights,
                                                  const std::string& prefix, int64_t in_channels,
                                                  bool upsampling) {
  const int count = weights.seq_len(prefix);
  if (count == 0) return not_found("no '" + prefix + ".N' weights");
  std::vector<VqganBlock> blocks;
  int64_t channels = in_channels;
  for (int i = 0; i < count; ++i) {
    UPRES_ASSIGN_OR_RETURN(VqganBlock block, bind_block(weights, prefix + "." + std::to_string(i),
                                                        channels, upsampling));
    channels = block.out_channels;
    blocks.push_back(std::move(block));
  }
  return blocks;
}

Result<FuseSftBlock> FuseSftBlock::bind(const nn::StateDict& weights, const std::string& key,
                                        int64_t channels) {
  FuseSftBlock b;
  UPRES_ASSIGN_OR_RETURN(b.encode_enc,
                         VqganResBlock::bind(weights, key + ".encode_enc", 2 * channels));
  if (b.encode_enc.out_channels() != channels) {
    return corrupt("'" + key + ".encode_enc.conv1.weight' gives " +
                   std::to_string(b.encode_enc.out_channels()) + " channels, expected " +
                   std::to_string(channels));
  }
  UPRES_ASSIGN_OR_RETURN(b.scale0,
                         nn::Conv2d::bind(weights, key + ".scale.0", conv3x3(channels, channels)));
  UPRES_ASSIGN_OR_RETURN(b.scale2,
                         nn::Conv2d::bind(weights, key + ".scale.2", conv3x3(channels, channels)));
  UPRES_ASSIGN_OR_RETURN(b.shift0,
                         nn::Conv2d::bind(weights, key + ".shift.0", conv3x3(channels, channels)));
  UPRES_ASSIGN_OR_RETURN(b.shift2,
                         nn::Conv2d::bind(weights, key + ".shift.2", conv3x3(channels, channels)));
  return b;
}

// enc, dec: [1, c, h, w]; w: [1, 1, 1, 1] -> [1, c, h, w]
engine::Value FuseSftBlock::forward(engine::Graph& g, engine::Value enc, engine::Value dec,
                                    engine::Value w) const {
  engine::Value feat = encode_enc.forward(g, g.concat({enc, dec}));
  engine::Value scale = scale2(g, g.leaky_relu(scale0(g, feat), kSftLeakySlope));
  engine::Value shift = shift2(g, g.leaky_relu(shift0(g, feat), kSftLeakySlope));
  engine::Value residual = g.mul(g.add(g.mul(dec, scale), shift), w);
  return g.add(dec, residual);
}

}  // namespace upres::models
