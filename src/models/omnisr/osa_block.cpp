// OSA_Block: binding of its 13 layers and its forward graph. Windows and grids are gathered with one
// reshape + permute each way; channel attention normalises q and k rows with l2_normalize.
// Original: https://github.com/Francis0625/Omni-SR (ops/OSA.py), as spandrel ships it.
#include "models/omnisr/osa_block.h"

#include <utility>

namespace upres::models::omnisr {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

constexpr int kHeads = 4;  // Attention's dim_head = C / 4, Channel_Attention(heads=4)

// An nn.Linear(in, out, bias=False) weight [out, in] as a 1x1 conv on a [1, in, 1, 1] value.
Result<Conv> linear_as_conv(const nn::StateDict& weights, const std::string& key, int64_t in, int64_t out) {
  Conv conv;
  conv.name = key;
  UPRES_ASSIGN_OR_RETURN(const Tensor weight, weights.tensor(key + ".weight", {out, in}));
  UPRES_ASSIGN_OR_RETURN(conv.weight, weight.reshaped({out, in, 1, 1}));
  return conv;
}

}  // namespace

Result<OSABlock> OSABlock::bind(const nn::StateDict& weights, const std::string& key, int64_t channels, int window,
                                bool with_pe) {
  if (channels < kHeads || channels % kHeads != 0) {
    return corrupt("OSA block '" + key + "': " + std::to_string(channels) + " channels do not split into 4 heads");
  }
  OSABlock block;
  block.channels_ = channels;
  block.window_ = window;
  const std::string layer = key + ".layer.";
  UPRES_ASSIGN_OR_RETURN(block.mbconv_, bind_mbconv(weights, layer + "0", channels));
  UPRES_ASSIGN_OR_RETURN(block.block_attention_, bind_window(weights, layer + "2", channels, window, with_pe));
  UPRES_ASSIGN_OR_RETURN(block.grid_attention_, bind_window(weights, layer + "8", channels, window, with_pe));
  const char* feed_forward[] = {"4", "6", "10", "12"};
  for (int i = 0; i < 4; ++i) {
    UPRES_ASSIGN_OR_RETURN(block.feed_forward_[i], bind_feed_forward(weights, layer + feed_forward[i], channels));
  }
  UPRES_ASSIGN_OR_RETURN(block.channel_attention_, bind_channel(weights, layer + "5", channels));
  UPRES_ASSIGN_OR_RETURN(block.channel_grid_attention_, bind_channel(weights, layer + "11", channels));
  return block;
}

Result<OSABlock::MBConv> OSABlock::bind_mbconv(const nn::StateDict& weights, const std::string& key,
                                               int64_t channels) {
  MBConv m;
  const int64_t hidden = channels / 4;  // int(dim * shrinkage_rate 0.25)
  const std::string fn = key + ".fn.";
  UPRES_ASSIGN_OR_RETURN(m.expand, Conv::bind(weights, fn + "0", {.in_channels = channels, .out_channels = channels}));
  UPRES_ASSIGN_OR_RETURN(m.depthwise, Conv::bind(weights, fn + "2", {.in_channels = channels, .out_channels = channels,
                                                                     .kernel = 3, .groups = static_cast<int>(channels)}));
  UPRES_ASSIGN_OR_RETURN(m.squeeze, linear_as_conv(weights, fn + "4.gate.1", channels, hidden));
  UPRES_ASSIGN_OR_RETURN(m.excite, linear_as_conv(weights, fn + "4.gate.3", hidden, channels));
  UPRES_ASSIGN_OR_RETURN(m.project, Conv::bind(weights, fn + "5", {.in_channels = channels, .out_channels = channels}));
  return m;
}

Result<OSABlock::WindowAttention> OSABlock::bind_window(const nn::StateDict& weights, const std::string& key,
                                                        int64_t channels, int window, bool with_pe) {
  WindowAttention a;
  UPRES_ASSIGN_OR_RETURN(a.norm, ChannelNorm::bind(weights, key + ".norm", channels, 1e-5f));
  UPRES_ASSIGN_OR_RETURN(a.heads.qkv_weight, weights.tensor(key + ".fn.to_qkv.weight", {3 * channels, channels}));
  UPRES_ASSIGN_OR_RETURN(a.heads.proj_weight, weights.tensor(key + ".fn.to_out.0.weight", {channels, channels}));
  a.heads.heads = kHeads;
  UPRES_RETURN_IF_ERROR(attention::check_multi_head_weights(a.heads, channels));
  if (with_pe) {
    const int64_t rows = int64_t{2 * window - 1} * (2 * window - 1);
    UPRES_ASSIGN_OR_RETURN(const Tensor table, weights.tensor(key + ".fn.rel_pos_bias.weight", {rows, kHeads}));
    UPRES_ASSIGN_OR_RETURN(a.bias, attention::relative_position_bias(table, window, window));
  }
  return a;
}

Result<OSABlock::GatedFeedForward> OSABlock::bind_feed_forward(const nn::StateDict& weights, const std::string& key,
                                                               int64_t channels) {
  GatedFeedForward f;
  const int64_t hidden = channels;  // Gated_Conv_FeedForward(mult=1)
  UPRES_ASSIGN_OR_RETURN(f.norm, ChannelNorm::bind(weights, key + ".norm", channels, 1e-6f));
  const std::string fn = key + ".fn.";
  UPRES_ASSIGN_OR_RETURN(f.project_in, Conv::bind(weights, fn + "project_in", {.in_channels = channels,
                                                  .out_channels = 2 * hidden, .bias = Bias::kIfPresent}));
  UPRES_ASSIGN_OR_RETURN(f.dwconv, Conv::bind(weights, fn + "dwconv", {.in_channels = 2 * hidden,
                                              .out_channels = 2 * hidden, .kernel = 3,
                                              .groups = static_cast<int>(2 * hidden), .bias = Bias::kIfPresent}));
  UPRES_ASSIGN_OR_RETURN(f.project_out, Conv::bind(weights, fn + "project_out", {.in_channels = hidden,
                                                   .out_channels = channels, .bias = Bias::kIfPresent}));
  return f;
}

Result<OSABlock::ChannelAttention> OSABlock::bind_channel(const nn::StateDict& weights, const std::string& key,
                                                          int64_t channels) {
  ChannelAttention a;
  UPRES_ASSIGN_OR_RETURN(a.norm, ChannelNorm::bind(weights, key + ".norm", channels, 1e-6f));
  const std::string fn = key + ".fn.";
  UPRES_ASSIGN_OR_RETURN(const Tensor temperature, weights.tensor(fn + "temperature", {kHeads, 1, 1}));
  a.temperature = temperature.to_f32();
  UPRES_ASSIGN_OR_RETURN(a.qkv, Conv::bind(weights, fn + "qkv", {.in_channels = channels,
                                           .out_channels = 3 * channels, .bias = Bias::kIfPresent}));
  UPRES_ASSIGN_OR_RETURN(a.qkv_dwconv, Conv::bind(weights, fn + "qkv_dwconv", {.in_channels = 3 * channels,
                                                  .out_channels = 3 * channels, .kernel = 3,
                                                  .groups = static_cast<int>(3 * channels), .bias = Bias::kIfPresent}));
  UPRES_ASSIGN_OR_RETURN(a.project_out, Conv::bind(weights, fn + "project_out", {.in_channels = channels,
                                                   .out_channels = channels, .bias = Bias::kIfPresent}));
  return a;
}

Value OSABlock::operator()(Graph& graph, Value x) const {
  x = mbconv(graph, x);
  x = window_attention(graph, x, block_attention_, /*grid=*/false);
  x = feed_forward(graph, x, feed_forward_[0]);
  x = channel_attention(graph, x, channel_attention_, /*grid=*/false);
  x = feed_forward(graph, x, feed_forward_[1]);
  x = window_attention(graph, x, grid_attention_, /*grid=*/true);
  x = feed_forward(graph, x, feed_forward_[2]);
  x = channel_attention(graph, x, channel_grid_attention_, /*grid=*/true);
  return feed_forward(graph, x, feed_forward_[3]);
}

// MBConvResidual: x + conv1x1(SE(gelu(dwconv(gelu(conv1x1(x)))))).
Value OSABlock::mbconv(Graph& graph, Value x) const {
  const MBConv& m = mbconv_;
  Value y = graph.gelu(m.depthwise(graph, graph.gelu(m.expand(graph, x))));        // [1, C, H, W]
  Value gate = graph.global_avg_pool(y);                                           // [1, C, 1, 1]
  gate = graph.sigmoid(m.excite(graph, graph.silu(m.squeeze(graph, gate))));
  return graph.add(m.project(graph, graph.mul(y, gate)), x);
}

// PreNormResidual(LayerNorm, Attention) in the window layout "b x y w1 w2 d": block windows are
// "(x w1) (y w2)" (contiguous w x w squares), grid windows "(w1 x) (w2 y)" (pixels H/w apart).
Value OSABlock::window_attention(Graph& graph, Value x, const WindowAttention& a, bool grid) const {
  const engine::Shape shape = graph.shape(x);
  const int64_t c = shape[1], h = shape[2], w = shape[3], win = window_, nh = h / win, nw = w / win;
  Value t;
  if (!grid) {
    t = graph.permute(graph.reshape(x, {c, nh, win, nw, win}), {1, 3, 2, 4, 0});  // [nh, nw, w1, w2, C]
  } else {
    t = graph.permute(graph.reshape(x, {c, win, nh, win, nw}), {2, 4, 1, 3, 0});  // [nh, nw, w1, w2, C]
  }
  t = graph.reshape(t, {nh * nw, win * win, c});                                  // [nW, N, C]
  const Value bias = a.bias.is_defined() ? graph.constant(a.bias) : Value{};
  Value y = graph.add(attention::window_attention(graph, a.norm.last_dim(graph, t), a.heads, bias, Value{}), t);
  y = graph.reshape(y, {nh, nw, win, win, c});
  y = grid ? graph.permute(y, {4, 2, 0, 3, 1})    // [C, w1, nh, w2, nw]
           : graph.permute(y, {4, 0, 2, 1, 3});   // [C, nh, w1, nw, w2]
  return graph.reshape(y, {1, c, h, w});
}

// Conv_PreNormResidual(LayerNorm2d, Gated_Conv_FeedForward): x + out(gelu(x1) * x2), [x1, x2] =
// dwconv(in(norm(x))).chunk(2).
Value OSABlock::feed_forward(Graph& graph, Value x, const GatedFeedForward& f) const {
  Value y = f.dwconv(graph, f.project_in(graph, f.norm.channels_first(graph, x)));  // [1, 2C', H, W]
  const int64_t hidden = graph.shape(y)[1] / 2;
  y = graph.mul(graph.gelu(graph.slice(y, 1, 0, hidden)), graph.slice(y, 1, hidden, 2 * hidden));
  return graph.add(f.project_out(graph, y), x);
}

// Conv_PreNormResidual(LayerNorm2d, Channel_Attention[_grid]): per window (or per grid position)
// and head, a d x d attention between channels over the window's pixels (or the grid's windows):
// softmax(normalize(q) normalize(k)^T * temperature) v.
Value OSABlock::channel_attention(Graph& graph, Value x, const ChannelAttention& a, bool grid) const {
  const engine::Shape shape = graph.shape(x);
  const int64_t c = shape[1], h = shape[2], w = shape[3], win = window_, nh = h / win, nw = w / win;
  const int64_t heads = static_cast<int64_t>(a.temperature.size()), d = c / heads;
  Value qkv = a.qkv_dwconv(graph, a.qkv(graph, a.norm.channels_first(graph, x)));   // [1, 3C, H, W]
  qkv = graph.reshape(qkv, {3 * c, nh, win, nw, win});
  int64_t groups = 0, length = 0;  // attention problems, and the pixels each row spans
  if (!grid) {
    qkv = graph.permute(qkv, {1, 3, 0, 2, 4});  // [nh, nw, 3C, w, w]: "b (h w) head d (ph pw)"
    groups = nh * nw;
    length = win * win;
  } else {
    qkv = graph.permute(qkv, {2, 4, 0, 1, 3});  // [w, w, 3C, nh, nw]: "b (ph pw) head d (h w)"
    groups = win * win;
    length = nh * nw;
  }
  qkv = graph.reshape(qkv, {groups, 3, heads, d, length});
  const Value q = graph.l2_normalize(graph.slice(qkv, 1, 0, 1));                   // [G, 1, heads, d, L]
  const Value k = graph.l2_normalize(graph.slice(qkv, 1, 1, 2));
  const Value v = graph.slice(qkv, 1, 2, 3);                                        // [G, 1, heads, d, L]
  const Tensor temperature = *Tensor::from_f32(a.temperature, {1, 1, heads, 1, 1});
  Value attn = graph.matmul(q, graph.permute(k, {0, 1, 2, 4, 3}));                   // [G, 1, heads, d, d]
  attn = graph.softmax(graph.mul(attn, graph.constant(temperature)), -1);
  Value out = graph.matmul(attn, v);                                                 // [G, 1, heads, d, L]
  if (!grid) {
    out = graph.permute(graph.reshape(out, {nh, nw, c, win, win}), {2, 0, 3, 1, 4});  // [C, nh, ph, nw, pw]
  } else {
    out = graph.permute(graph.reshape(out, {win, win, c, nh, nw}), {2, 3, 0, 4, 1});  // [C, nh, ph, nw, pw]
  }
  out = graph.reshape(out, {1, c, h, w});
  return graph.add(a.project_out(graph, out), x);
}

}  // namespace upres::models::omnisr
