// DAT: configuration from weights, weight binding, and the forward graph.
// Original: https://github.com/zhengchen1999/DAT (basicsr/archs/dat_arch.py)
#include "models/dat/dat.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace upres::models {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

constexpr int kMaxGroups = 64;
constexpr int kMaxBlocks = 256;
constexpr int64_t kMaxEmbedDim = 4096;
constexpr int kMaxSplit = 64;
constexpr float kRgbMean[3] = {0.4488f, 0.4371f, 0.4040f};

std::string block_key(int group, int index) {
  return "layers." + std::to_string(group) + ".blocks." + std::to_string(index);
}

// Whether block `index` of group `group` (a spatial block) uses shifted windows, as the original.
bool is_shifted(int group, int index) {
  return (group % 2 == 0 && index > 0 && (index - 2) % 4 == 0) || (group % 2 != 0 && index % 4 == 0);
}

// split_size from layers.0.blocks.0.attn.attns.0.rpe_biases: its last row is (split[0] - 1,
// split[1] - 1); the row count must agree.
Result<std::array<int, 2>> read_split_size(const nn::StateDict& weights) {
  const std::string key = "layers.0.blocks.0.attn.attns.0.rpe_biases";
  const std::vector<int64_t>* shape = weights.shape(key);
  if (shape == nullptr) return not_found(key + " missing");
  if (shape->size() != 2 || (*shape)[1] != 2 || (*shape)[0] < 1 || (*shape)[0] > (2 * kMaxSplit) * (2 * kMaxSplit)) {
    return corrupt(key + " has shape " + engine::shape_to_string(*shape) + ", expected [(2h-1)(2w-1), 2]");
  }
  UPRES_ASSIGN_OR_RETURN(const Tensor biases, weights.tensor(key, *shape));
  const std::vector<float> v = biases.to_f32();
  const float h = v[v.size() - 2] + 1.0f, w = v[v.size() - 1] + 1.0f;
  if (!(h >= 1.0f && h <= kMaxSplit && w >= 1.0f && w <= kMaxSplit) || h != std::floor(h) || w != std::floor(w)) {
    return corrupt(key + ": last row (" + std::to_string(v[v.size() - 2]) + ", " + std::to_string(v.back()) +
                   ") is not a window size in 1.." + std::to_string(kMaxSplit));
  }
  const std::array<int, 2> split{static_cast<int>(h), static_cast<int>(w)};
  if ((*shape)[0] != int64_t{2 * split[0] - 1} * (2 * split[1] - 1)) {
    return corrupt(key + " has " + std::to_string((*shape)[0]) + " rows, not those of a " + std::to_string(split[0]) +
                   "x" + std::to_string(split[1]) + " window");
  }
  if (std::max(split[0], split[1]) % std::min(split[0], split[1]) != 0) {
    return unsupported("DAT split_size " + std::to_string(split[0]) + "x" + std::to_string(split[1]) +
                       " (the original pads to the larger side, which the smaller must divide)");
  }
  return split;
}

}  // namespace

bool DAT::matches(const nn::StateDict& weights) {
  for (const char* key : {"conv_first.weight", "before_RG.1.weight", "norm.weight", "layers.0.blocks.0.ffn.sg.conv.weight",
                          "layers.0.blocks.0.attn.attns.0.rpe_biases", "layers.0.blocks.0.attn.attns.0.pos.pos_proj.weight"}) {
    if (!weights.has(key)) return false;
  }
  return !weights.has("layers.0.blocks.0.gamma");
}

Result<DAT::Config> DAT::Config::from_weights(const nn::StateDict& weights) {
  if (!matches(weights)) return unsupported("not a DAT: keys " + weights.key_sample(6));
  Config c;
  UPRES_ASSIGN_OR_RETURN(c.embed_dim, weights.dim("conv_first.weight", 0));
  UPRES_ASSIGN_OR_RETURN(const int64_t in_channels, weights.dim("conv_first.weight", 1));
  if (in_channels != 3) return unsupported("DAT with " + std::to_string(in_channels) + " input channels (upres runs RGB models)");
  if (c.embed_dim < 16 || c.embed_dim > kMaxEmbedDim || c.embed_dim % 2 != 0) {
    return corrupt("DAT embed_dim " + std::to_string(c.embed_dim) + " (expected an even number in 16.." +
                   std::to_string(kMaxEmbedDim) + ")");
  }
  const int groups = weights.seq_len("layers");
  if (groups < 1 || groups > kMaxGroups) return corrupt("DAT with " + std::to_string(groups) + " residual groups");
  for (int i = 0; i < groups; ++i) {
    const int blocks = weights.seq_len("layers." + std::to_string(i) + ".blocks");
    if (blocks < 1 || blocks > kMaxBlocks) {
      return corrupt("DAT layers." + std::to_string(i) + " has " + std::to_string(blocks) + " blocks");
    }
    c.depth.push_back(blocks);
    int64_t heads = 0;
    if (blocks >= 2) {
      UPRES_ASSIGN_OR_RETURN(heads, weights.dim(block_key(i, 1) + ".attn.temperature", 0));
    } else {
      UPRES_ASSIGN_OR_RETURN(heads, weights.dim(block_key(i, 0) + ".attn.attns.0.pos.pos3.2.weight", 0));
      heads *= 2;
    }
    if (heads < 1 || heads > c.embed_dim) return corrupt("DAT layers." + std::to_string(i) + ": " + std::to_string(heads) + " heads");
    c.heads.push_back(static_cast<int>(heads));
  }
  UPRES_ASSIGN_OR_RETURN(c.split, read_split_size(weights));
  UPRES_ASSIGN_OR_RETURN(c.ffn_hidden, weights.dim("layers.0.blocks.0.ffn.fc1.weight", 0));
  if (c.ffn_hidden < 2 || c.ffn_hidden % 2 != 0 || c.ffn_hidden > 16 * c.embed_dim) {
    return corrupt("DAT ffn hidden size " + std::to_string(c.ffn_hidden) + " for embed_dim " + std::to_string(c.embed_dim));
  }
  c.qkv_bias = weights.has("layers.0.blocks.0.attn.qkv.bias");
  c.resi_3conv = !weights.has("conv_after_body.weight");
  return c;
}

Result<std::shared_ptr<const DAT>> DAT::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<DAT> net(new DAT(std::move(config)));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const DAT>(std::move(net));
}

Result<std::vector<tokens::Conv>> DAT::bind_residual_convs(const nn::StateDict& weights, const std::string& key) const {
  const int64_t c = config_.embed_dim;
  std::vector<tokens::Conv> convs;
  if (!config_.resi_3conv) {
    UPRES_ASSIGN_OR_RETURN(tokens::Conv conv, tokens::Conv::bind(weights, key, c, c, 3));
    convs.push_back(std::move(conv));
    return convs;
  }
  UPRES_ASSIGN_OR_RETURN(tokens::Conv a, tokens::Conv::bind(weights, key + ".0", c, c / 4, 3));
  UPRES_ASSIGN_OR_RETURN(tokens::Conv b, tokens::Conv::bind(weights, key + ".2", c / 4, c / 4, 1));
  UPRES_ASSIGN_OR_RETURN(tokens::Conv d, tokens::Conv::bind(weights, key + ".4", c / 4, c, 3));
  convs = {std::move(a), std::move(b), std::move(d)};
  return convs;
}

Result<DAT::Block> DAT::bind_block(const nn::StateDict& weights, int group, int index) const {
  const Config& c = config_;
  const std::string key = block_key(group, index);
  const int heads = c.heads[static_cast<size_t>(group)];
  UPRES_ASSIGN_OR_RETURN(tokens::LayerNorm norm1, tokens::LayerNorm::bind(weights, key + ".norm1", c.embed_dim));
  UPRES_ASSIGN_OR_RETURN(tokens::LayerNorm norm2, tokens::LayerNorm::bind(weights, key + ".norm2", c.embed_dim));
  Block block{std::move(norm1), std::move(norm2), dat::ChannelAttention{}, {}};
  if (index % 2 == 0) {
    UPRES_ASSIGN_OR_RETURN(block.attn, dat::SpatialAttention::bind(weights, key + ".attn", c.embed_dim, heads, c.qkv_bias,
                                                                   {c.split, is_shifted(group, index)}));
  } else {
    UPRES_ASSIGN_OR_RETURN(block.attn, dat::ChannelAttention::bind(weights, key + ".attn", c.embed_dim, heads, c.qkv_bias));
  }
  const int64_t half = c.ffn_hidden / 2;
  UPRES_ASSIGN_OR_RETURN(block.ffn.fc1, tokens::Linear::bind(weights, key + ".ffn.fc1", c.embed_dim, c.ffn_hidden));
  UPRES_ASSIGN_OR_RETURN(block.ffn.gate_norm, tokens::LayerNorm::bind(weights, key + ".ffn.sg.norm", half));
  UPRES_ASSIGN_OR_RETURN(block.ffn.gate_conv,
                         tokens::Conv::bind(weights, key + ".ffn.sg.conv", half, half, 3, static_cast<int>(half)));
  UPRES_ASSIGN_OR_RETURN(block.ffn.fc2, tokens::Linear::bind(weights, key + ".ffn.fc2", half, c.embed_dim));
  return block;
}

Status DAT::bind(const nn::StateDict& weights) {
  const int64_t c = config_.embed_dim;
  UPRES_ASSIGN_OR_RETURN(conv_first_, tokens::Conv::bind(weights, "conv_first", 3, c, 3));
  UPRES_ASSIGN_OR_RETURN(before_rg_, tokens::LayerNorm::bind(weights, "before_RG.1", c));
  for (size_t i = 0; i < config_.depth.size(); ++i) {
    Group group;
    for (int j = 0; j < config_.depth[i]; ++j) {
      UPRES_ASSIGN_OR_RETURN(Block block, bind_block(weights, static_cast<int>(i), j));
      group.blocks.push_back(std::move(block));
    }
    UPRES_ASSIGN_OR_RETURN(group.convs, bind_residual_convs(weights, "layers." + std::to_string(i) + ".conv"));
    layers_.push_back(std::move(group));
  }
  UPRES_ASSIGN_OR_RETURN(norm_, tokens::LayerNorm::bind(weights, "norm", c));
  UPRES_ASSIGN_OR_RETURN(conv_after_body_, bind_residual_convs(weights, "conv_after_body"));
  UPRES_ASSIGN_OR_RETURN(upsampler_, tokens::Upsampler::bind(weights, c, 3));
  return Status::ok();
}

Value DAT::residual_convs(Graph& g, const std::vector<tokens::Conv>& convs, Value x) const {
  if (convs.size() == 1) return convs[0](g, x);
  x = g.leaky_relu(convs[0](g, x), 0.2f);
  x = g.leaky_relu(convs[1](g, x), 0.2f);
  return convs[2](g, x);
}

Value DAT::FeedForward::operator()(Graph& g, Value x, int64_t height, int64_t width) const {
  x = g.gelu(fc1(g, x));                                                     // [1, L, hidden]
  const int64_t hidden = g.shape(x)[2], half = hidden / 2;
  Value gate = gate_norm(g, g.slice(x, 2, half, hidden));
  gate = tokens::to_tokens(g, gate_conv(g, tokens::to_image(g, gate, height, width)));
  return fc2(g, g.mul(g.slice(x, 2, 0, half), gate));                        // [1, L, C]
}

Result<engine::Graph> DAT::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) return invalid_argument("DAT: input " + std::to_string(height) + "x" + std::to_string(width));
  Graph g;
  const Value input = g.input("input", {1, 3, height, width});
  std::vector<float> mean(std::begin(kRgbMean), std::end(kRgbMean)), negative(3);
  for (int i = 0; i < 3; ++i) negative[static_cast<size_t>(i)] = -mean[static_cast<size_t>(i)];
  Value x = g.add(input, g.constant(*Tensor::from_f32(negative, {1, 3, 1, 1})));
  const Value shallow = conv_first_(g, x);                                     // [1, C, H, W]
  Value t = before_rg_(g, tokens::to_tokens(g, shallow));                       // [1, L, C]
  tokens::SharedConstants shared(g);  // masks and paddings made once, read by every spatial block
  for (const Group& group : layers_) {
    const Value residual = t;
    for (const Block& block : group.blocks) {
      const Value normed = block.norm1(g, t);
      const auto* spatial = std::get_if<dat::SpatialAttention>(&block.attn);
      const Value attended = spatial != nullptr ? (*spatial)(g, shared, normed, height, width)
                                                : std::get<dat::ChannelAttention>(block.attn)(g, normed, height, width);
      t = g.add(t, attended);
      t = g.add(t, block.ffn(g, block.norm2(g, t), height, width));
    }
    const Value conv = residual_convs(g, group.convs, tokens::to_image(g, t, height, width));
    t = g.add(residual, tokens::to_tokens(g, conv));
  }
  x = tokens::to_image(g, norm_(g, t), height, width);
  x = g.add(residual_convs(g, conv_after_body_, x), shallow);
  x = upsampler_(g, x);                                                        // [1, 3, sH, sW]
  x = g.add(x, g.constant(*Tensor::from_f32(mean, {1, 3, 1, 1})));
  g.mark_output(x);
  if (!g.status().is_ok()) return g.status().with_context("DAT graph");
  return g;
}

// fp32 values alive at the peak, per input pixel: the residual stream and its normed copy, then
// the largest of a spatial block (qkv, its padded copy, one branch's gathered windows, and the
// branch's scores and softmax: heads/2 x N per token), the SGFN (hidden, GELU, gate) and the
// upsampler at output resolution. The graph's two shifted-window masks (N floats per pixel each)
// count twice: the backend holds a copy outside the arena for the executable's life, and the
// arena holds them from the first shifted block to the last.
double DAT::bytes_per_input_pixel() const {
  const Config& c = config_;
  const double dim = static_cast<double>(c.embed_dim);
  const double window = static_cast<double>(c.split[0]) * c.split[1];
  const double heads = static_cast<double>(*std::max_element(c.heads.begin(), c.heads.end()));
  bool has_shifted = false;
  for (size_t group = 0; group < c.depth.size(); ++group) {
    for (int index = 0; index < c.depth[group]; index += 2) has_shifted |= is_shifted(static_cast<int>(group), index);
  }
  const double masks = has_shifted ? 2.0 * window : 0.0;
  const double attention = 9.0 * dim + 2.0 * (heads / 2.0) * window * 1.5;
  const double ffn = 3.0 * static_cast<double>(c.ffn_hidden);
  const double tail = upsampler_.peak_floats_per_input_pixel();
  return 4.0 * (3.0 + 3.0 * dim + masks + std::max({attention + masks, ffn + masks, tail}));
}

}  // namespace upres::models
