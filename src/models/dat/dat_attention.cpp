// DAT's spatial-window and channel attention modules as graph pieces; the DynamicPosBias MLP runs
// here at load time (it depends only on weights and the window), so graphs carry its bias tables.
// Original: https://github.com/zhengchen1999/DAT (basicsr/archs/dat_arch.py)
#include "models/dat/dat_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/attention/window_attention.h"

namespace upres::models::dat {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

// y = x W^T + b on host rows: x [rows, in] -> [rows, out].
std::vector<double> host_linear(const std::vector<double>& x, int64_t rows, const tokens::Linear& linear) {
  const int64_t out = linear.weight.dim(0), in = linear.weight.dim(1);
  const std::vector<float> w = linear.weight.to_f32(), b = linear.bias.to_f32();
  std::vector<double> y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double sum = b[static_cast<size_t>(o)];
      for (int64_t i = 0; i < in; ++i) sum += x[static_cast<size_t>(r * in + i)] * w[static_cast<size_t>(o * in + i)];
      y[static_cast<size_t>(r * out + o)] = sum;
    }
  }
  return y;
}

// ReLU(LayerNorm(x)) on host rows of `dim`, in place.
void host_layer_norm_relu(std::vector<double>& x, int64_t dim, const tokens::LayerNorm& norm) {
  const std::vector<float> w = norm.weight.to_f32(), b = norm.bias.to_f32();
  for (size_t r = 0; r < x.size() / static_cast<size_t>(dim); ++r) {
    double* row = x.data() + r * static_cast<size_t>(dim);
    double mean = 0, var = 0;
    for (int64_t i = 0; i < dim; ++i) mean += row[i];
    mean /= static_cast<double>(dim);
    for (int64_t i = 0; i < dim; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(dim);
    const double inv = 1.0 / std::sqrt(var + 1e-5);
    for (int64_t i = 0; i < dim; ++i) row[i] = std::max(0.0, (row[i] - mean) * inv * w[static_cast<size_t>(i)] + b[static_cast<size_t>(i)]);
  }
}

// DynamicPosBias (residual=False) on the window's relative offsets, looked up by Swin's index:
// [heads, N, N] for a window_h x window_w window.
Result<Tensor> dynamic_position_bias(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                     int heads, int window_h, int window_w) {
  UPRES_ASSIGN_OR_RETURN(const int64_t pos_dim, weights.dim(prefix + ".pos_proj.weight", 0));
  if (pos_dim <= 0 || pos_dim > dim) {
    return corrupt(prefix + ".pos_proj.weight has " + std::to_string(pos_dim) + " rows for " +
                   std::to_string(dim) + " channels");
  }
  UPRES_ASSIGN_OR_RETURN(auto proj, tokens::Linear::bind(weights, prefix + ".pos_proj", 2, pos_dim));
  std::vector<tokens::LayerNorm> norms;
  std::vector<tokens::Linear> linears;
  for (int i = 1; i <= 3; ++i) {
    const std::string stage = prefix + ".pos" + std::to_string(i);
    UPRES_ASSIGN_OR_RETURN(auto norm, tokens::LayerNorm::bind(weights, stage + ".0", pos_dim));
    UPRES_ASSIGN_OR_RETURN(auto linear, tokens::Linear::bind(weights, stage + ".2", pos_dim, i == 3 ? heads : pos_dim));
    norms.push_back(std::move(norm));
    linears.push_back(std::move(linear));
  }
  // rpe_biases: every (dh, dw) offset, dh in [1 - wh, wh - 1] outer, dw inner.
  const int64_t rows = int64_t{2 * window_h - 1} * (2 * window_w - 1);
  std::vector<double> offsets;
  for (int dh = 1 - window_h; dh < window_h; ++dh) {
    for (int dw = 1 - window_w; dw < window_w; ++dw) {
      offsets.push_back(dh);
      offsets.push_back(dw);
    }
  }
  std::vector<double> pos = host_linear(offsets, rows, proj);
  for (size_t i = 0; i < 3; ++i) {
    host_layer_norm_relu(pos, pos_dim, norms[i]);
    pos = host_linear(pos, rows, linears[i]);
  }
  std::vector<float> table(pos.begin(), pos.end());
  UPRES_ASSIGN_OR_RETURN(Tensor table_tensor, Tensor::from_f32(table, {rows, int64_t{heads}}));
  return attention::relative_position_bias(table_tensor, window_h, window_w);
}

// Scales rows [0, rows) of a linear's weight and bias (the q rows of a qkv projection).
void scale_leading_rows(tokens::Linear& linear, int64_t rows, float factor) {
  auto scale = [&](Tensor& t) {
    if (!t.is_defined()) return;
    std::vector<float> v = t.to_f32();
    const int64_t row_size = t.numel() / t.dim(0);
    for (int64_t i = 0; i < rows * row_size; ++i) v[static_cast<size_t>(i)] *= factor;
    t = *Tensor::from_f32(v, t.shape());
  };
  scale(linear.weight);
  scale(linear.bias);
}

Status check_heads(const std::string& prefix, int64_t dim, int heads) {
  if (heads <= 0 || dim % heads != 0) {
    return corrupt(prefix + ": " + std::to_string(dim) + " channels do not split into " + std::to_string(heads) +
                   " heads");
  }
  return Status::ok();
}

}  // namespace

Result<InteractionModule> InteractionModule::bind(const nn::StateDict& weights, const std::string& prefix,
                                                  int64_t dim) {
  if (dim < 16) return corrupt(prefix + ": " + std::to_string(dim) + " channels (the interaction needs >= 16)");
  InteractionModule m;
  UPRES_ASSIGN_OR_RETURN(m.dwconv, tokens::Conv::bind(weights, prefix + ".dwconv.0", dim, dim, 3, static_cast<int>(dim)));
  UPRES_ASSIGN_OR_RETURN(m.dwconv_bn, tokens::BatchNorm2d::bind(weights, prefix + ".dwconv.1", dim));
  UPRES_ASSIGN_OR_RETURN(m.channel_reduce, tokens::Conv::bind(weights, prefix + ".channel_interaction.1", dim, dim / 8, 1));
  UPRES_ASSIGN_OR_RETURN(m.channel_bn, tokens::BatchNorm2d::bind(weights, prefix + ".channel_interaction.2", dim / 8));
  UPRES_ASSIGN_OR_RETURN(m.channel_expand, tokens::Conv::bind(weights, prefix + ".channel_interaction.4", dim / 8, dim, 1));
  UPRES_ASSIGN_OR_RETURN(m.spatial_reduce, tokens::Conv::bind(weights, prefix + ".spatial_interaction.0", dim, dim / 16, 1));
  UPRES_ASSIGN_OR_RETURN(m.spatial_bn, tokens::BatchNorm2d::bind(weights, prefix + ".spatial_interaction.1", dim / 16));
  UPRES_ASSIGN_OR_RETURN(m.spatial_expand, tokens::Conv::bind(weights, prefix + ".spatial_interaction.3", dim / 16, 1, 1));
  return m;
}

Value InteractionModule::conv_branch(Graph& graph, Value v_image) const {
  return graph.gelu(dwconv_bn(graph, dwconv(graph, v_image)));
}

Value InteractionModule::channel_map(Graph& graph, Value image) const {
  Value x = channel_reduce(graph, graph.global_avg_pool(image));
  return channel_expand(graph, graph.gelu(channel_bn(graph, x)));
}

Value InteractionModule::spatial_map(Graph& graph, Value image) const {
  return spatial_expand(graph, graph.gelu(spatial_bn(graph, spatial_reduce(graph, image))));
}

Result<SpatialAttention> SpatialAttention::bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                                int heads, bool qkv_bias, SpatialWindows windows) {
  SpatialAttention a;
  a.dim_ = dim;
  a.branch_heads_ = heads / 2;
  a.windows_ = windows;
  if (dim % 2 != 0) return corrupt(prefix + ": odd channel count " + std::to_string(dim));
  UPRES_RETURN_IF_ERROR(check_heads(prefix + " (one window branch)", dim / 2, a.branch_heads_));
  UPRES_ASSIGN_OR_RETURN(a.qkv_, tokens::Linear::bind(weights, prefix + ".qkv", dim, 3 * dim, qkv_bias));
  const int64_t head_dim = dim / 2 / a.branch_heads_;
  scale_leading_rows(a.qkv_, dim, static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))));
  UPRES_ASSIGN_OR_RETURN(a.proj_, tokens::Linear::bind(weights, prefix + ".proj", dim, dim));
  for (int b = 0; b < 2; ++b) {
    const int wh = windows.split[b], ww = windows.split[1 - b];
    UPRES_ASSIGN_OR_RETURN(a.position_bias_[b],
                           dynamic_position_bias(weights, prefix + ".attns." + std::to_string(b) + ".pos", dim / 2,
                                                 a.branch_heads_, wh, ww));
  }
  UPRES_ASSIGN_OR_RETURN(a.aim_, InteractionModule::bind(weights, prefix, dim));
  return a;
}

// One window branch on its channel half: qkv [1, Hp*Wp, 3C] padded -> [1, Hp*Wp, C/2].
Value SpatialAttention::branch(Graph& g, tokens::SharedConstants& shared, Value qkv, int index, int64_t padded_h,
                               int64_t padded_w) const {
  const int wh = windows_.split[index], ww = windows_.split[1 - index];
  const int sh = wh / 2, sw = ww / 2;
  const int64_t half = dim_ / 2, heads = branch_heads_, head_dim = half / heads, n = int64_t{wh} * ww;
  const int64_t tokens_count = padded_h * padded_w;
  Value x = g.reshape(qkv, {1, tokens_count, 3, 2, half});
  x = g.reshape(g.slice(x, 3, index, index + 1), {1, tokens_count, 3 * half});  // [1, L, 3 * C/2]
  if (windows_.shifted) x = attention::roll(g, x, padded_h, padded_w, -sh, -sw);
  x = attention::window_partition(g, x, padded_h, padded_w, wh, ww);             // [nW, N, 3 * C/2]
  const int64_t windows = g.shape(x)[0];
  x = g.reshape(x, {windows, n, 3, heads, head_dim});
  auto part = [&](int t, std::vector<int> order) {
    return g.permute(g.reshape(g.slice(x, 2, t, t + 1), {windows, n, heads, head_dim}), std::move(order));
  };
  Value scores = g.matmul(part(0, {0, 2, 1, 3}), part(1, {0, 2, 3, 1}));           // [nW, heads, N, N]
  scores = g.add(scores, g.constant(*position_bias_[index].reshaped({1, heads, n, n})));
  if (windows_.shifted) scores = g.add(scores, shared.shifted_window_mask(padded_h, padded_w, wh, ww, sh, sw));
  Value out = g.matmul(g.softmax(scores, -1), part(2, {0, 2, 1, 3}));             // [nW, heads, N, d]
  out = g.reshape(g.permute(out, {0, 2, 1, 3}), {windows, n, half});
  out = attention::window_reverse(g, out, padded_h, padded_w, wh, ww);           // [1, L, C/2]
  if (windows_.shifted) out = attention::roll(g, out, padded_h, padded_w, sh, sw);
  return out;
}

Value SpatialAttention::operator()(Graph& g, tokens::SharedConstants& shared, Value x, int64_t height,
                                   int64_t width) const {
  const int64_t c = dim_;
  Value qkv = qkv_(g, x);                                                        // [1, L, 3C]
  const Value v_image = tokens::to_image(g, g.slice(qkv, 2, 2 * c, 3 * c), height, width);
  const int64_t m = std::max(windows_.split[0], windows_.split[1]);
  const int64_t padded_h = (height + m - 1) / m * m, padded_w = (width + m - 1) / m * m;
  qkv = tokens::pad_bottom_right(g, shared, qkv, height, width, padded_h, padded_w);
  auto attend = [&](int index) {
    return tokens::crop_top_left(g, branch(g, shared, qkv, index, padded_h, padded_w), padded_h, padded_w, height, width);
  };
  Value attended = g.concat({attend(0), attend(1)}, 2);                         // [1, L, C]
  Value conv_x = aim_.conv_branch(g, v_image);                                   // [1, C, H, W]
  const Value channel_map = g.reshape(aim_.channel_map(g, conv_x), {1, 1, c});
  const Value spatial_map = aim_.spatial_map(g, tokens::to_image(g, attended, height, width));
  attended = g.mul(attended, g.sigmoid(channel_map));
  conv_x = g.mul(conv_x, g.sigmoid(spatial_map));
  return proj_(g, g.add(attended, tokens::to_tokens(g, conv_x)));
}

Result<ChannelAttention> ChannelAttention::bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                                int heads, bool qkv_bias) {
  ChannelAttention a;
  a.dim_ = dim;
  a.heads_ = heads;
  UPRES_RETURN_IF_ERROR(check_heads(prefix, dim, heads));
  UPRES_ASSIGN_OR_RETURN(const Tensor temperature, weights.tensor(prefix + ".temperature", {heads, 1, 1}));
  a.temperature_ = temperature.to_f32();
  UPRES_ASSIGN_OR_RETURN(a.qkv_, tokens::Linear::bind(weights, prefix + ".qkv", dim, 3 * dim, qkv_bias));
  UPRES_ASSIGN_OR_RETURN(a.proj_, tokens::Linear::bind(weights, prefix + ".proj", dim, dim));
  UPRES_ASSIGN_OR_RETURN(a.aim_, InteractionModule::bind(weights, prefix, dim));
  return a;
}

Value ChannelAttention::operator()(Graph& g, Value x, int64_t height, int64_t width) const {
  // Rank-3 values throughout (batch 1 folded away): rank-4 values are NCHW feature maps to the
  // cpu backend.
  const int64_t c = dim_, heads = heads_, head_dim = c / heads_, n = height * width;
  Value qkv = g.reshape(qkv_(g, x), {n, 3 * heads, head_dim});
  qkv = g.permute(qkv, {1, 2, 0});                                               // [3 * heads, d, N]
  auto part = [&](int t) { return g.slice(qkv, 0, t * heads, (t + 1) * heads); };  // [heads, d, N]
  const Value v = part(2);
  const Value q = tokens::l2_normalize_times_sqrt_n(g, part(0));
  const Value k = tokens::l2_normalize_times_sqrt_n(g, part(1));
  // Both normalised factors carry sqrt(N): divide the product by N with the temperature.
  std::vector<float> temperature(temperature_);
  for (float& t : temperature) t = static_cast<float>(t / static_cast<double>(n));
  Value attn = g.matmul(q, g.permute(k, {0, 2, 1}));                             // [heads, d, d]
  attn = g.mul(attn, g.constant(*Tensor::from_f32(temperature, {heads, 1, 1})));
  Value attended = g.matmul(g.softmax(attn, -1), v);                             // [heads, d, N]
  attended = g.reshape(g.permute(attended, {2, 0, 1}), {1, n, c});               // [1, N, C]
  Value conv_x = aim_.conv_branch(g, g.reshape(v, {1, c, height, width}));       // [1, C, H, W]
  const Value channel_map = aim_.channel_map(g, tokens::to_image(g, attended, height, width));
  const Value spatial_map = g.reshape(aim_.spatial_map(g, conv_x), {1, n, 1});
  attended = g.mul(attended, g.sigmoid(spatial_map));
  conv_x = g.mul(conv_x, g.sigmoid(channel_map));
  return proj_(g, g.add(attended, tokens::to_tokens(g, conv_x)));
}

}  // namespace upres::models::dat
