// HAT's HAB and OCAB as graph pieces, with their relative position biases gathered at load time.
// Original: https://github.com/XPixelGroup/HAT (hat/archs/hat_arch.py)
#include "models/hat/hat_blocks.h"

#include <cmath>
#include <vector>

namespace upres::models::hat {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

// Zero-pads a [R, C, ch] value: `before` / `after` rows or columns on `axis` (0 or 1). The zeros
// come from `shared`: every OCAB of a graph pads maps of one shape, so they share one constant.
Value pad_axis(Graph& g, tokens::SharedConstants& shared, Value x, int axis, int64_t before, int64_t after) {
  engine::Shape shape = g.shape(x);
  std::vector<Value> parts;
  if (before > 0) {
    shape[static_cast<size_t>(axis)] = before;
    parts.push_back(shared.zeros(shape));
  }
  parts.push_back(x);
  if (after > 0) {
    shape[static_cast<size_t>(axis)] = after;
    parts.push_back(shared.zeros(shape));
  }
  return parts.size() == 1 ? x : g.concat(parts, axis);
}

Status check_heads(const std::string& prefix, int64_t dim, int heads) {
  if (heads <= 0 || dim % heads != 0) {
    return corrupt(prefix + ": " + std::to_string(dim) + " channels do not split into " + std::to_string(heads) +
                   " heads");
  }
  return Status::ok();
}

}  // namespace

std::vector<int64_t> overlap_position_index(int window, int overlap_window) {
  const int64_t nq = int64_t{window} * window, nk = int64_t{overlap_window} * overlap_window;
  const int64_t side = window + overlap_window - 1, rows = side * side;
  std::vector<int64_t> index(static_cast<size_t>(nq * nk));
  for (int64_t i = 0; i < nq; ++i) {
    for (int64_t j = 0; j < nk; ++j) {
      const int64_t dh = j / overlap_window - i / window + window - overlap_window + 1;
      const int64_t dw = j % overlap_window - i % window + window - overlap_window + 1;
      const int64_t raw = dh * side + dw;
      index[static_cast<size_t>(i * nk + j)] = raw < 0 ? raw + rows : raw;
    }
  }
  return index;
}

Result<HybridAttentionBlock> HybridAttentionBlock::bind(const nn::StateDict& weights, const std::string& prefix,
                                                        int64_t dim, int heads, bool qkv_bias, int window,
                                                        bool shifted) {
  HybridAttentionBlock b;
  b.window_ = window;
  b.shifted_ = shifted;
  UPRES_RETURN_IF_ERROR(check_heads(prefix, dim, heads));
  UPRES_ASSIGN_OR_RETURN(b.norm1_, tokens::LayerNorm::bind(weights, prefix + ".norm1", dim));
  UPRES_ASSIGN_OR_RETURN(b.norm2_, tokens::LayerNorm::bind(weights, prefix + ".norm2", dim));
  UPRES_ASSIGN_OR_RETURN(auto qkv, tokens::Linear::bind(weights, prefix + ".attn.qkv", dim, 3 * dim, qkv_bias));
  UPRES_ASSIGN_OR_RETURN(auto proj, tokens::Linear::bind(weights, prefix + ".attn.proj", dim, dim));
  b.attn_ = {qkv.weight, qkv.bias, proj.weight, proj.bias, heads, 0.0f};
  UPRES_RETURN_IF_ERROR(attention::check_multi_head_weights(b.attn_, dim));
  const int64_t table_rows = int64_t{2 * window - 1} * (2 * window - 1);
  UPRES_ASSIGN_OR_RETURN(const Tensor table,
                         weights.tensor(prefix + ".attn.relative_position_bias_table", {table_rows, heads}));
  UPRES_ASSIGN_OR_RETURN(b.position_bias_, attention::relative_position_bias(table, window, window));
  UPRES_ASSIGN_OR_RETURN(const int64_t compressed, weights.dim(prefix + ".conv_block.cab.0.weight", 0));
  UPRES_ASSIGN_OR_RETURN(const int64_t squeezed, weights.dim(prefix + ".conv_block.cab.3.attention.1.weight", 0));
  if (compressed < 1 || compressed > dim || squeezed < 1 || squeezed > dim) {
    return corrupt(prefix + ".conv_block: " + std::to_string(compressed) + " compressed / " + std::to_string(squeezed) +
                   " squeezed channels for " + std::to_string(dim));
  }
  UPRES_ASSIGN_OR_RETURN(b.cab0_, tokens::Conv::bind(weights, prefix + ".conv_block.cab.0", dim, compressed, 3));
  UPRES_ASSIGN_OR_RETURN(b.cab2_, tokens::Conv::bind(weights, prefix + ".conv_block.cab.2", compressed, dim, 3));
  UPRES_ASSIGN_OR_RETURN(b.squeeze_, tokens::Conv::bind(weights, prefix + ".conv_block.cab.3.attention.1", dim, squeezed, 1));
  UPRES_ASSIGN_OR_RETURN(b.excite_, tokens::Conv::bind(weights, prefix + ".conv_block.cab.3.attention.3", squeezed, dim, 1));
  UPRES_ASSIGN_OR_RETURN(const int64_t hidden, weights.dim(prefix + ".mlp.fc1.weight", 0));
  if (hidden < 1 || hidden > 16 * dim) return corrupt(prefix + ".mlp.fc1: hidden size " + std::to_string(hidden));
  UPRES_ASSIGN_OR_RETURN(b.fc1_, tokens::Linear::bind(weights, prefix + ".mlp.fc1", dim, hidden));
  UPRES_ASSIGN_OR_RETURN(b.fc2_, tokens::Linear::bind(weights, prefix + ".mlp.fc2", hidden, dim));
  return b;
}

Value HybridAttentionBlock::operator()(Graph& g, Value x, int64_t height, int64_t width, Value mask) const {
  const Value normed = norm1_(g, x);                                            // [1, L, C]
  // CAB on the image: conv, GELU, conv, then RCAN's channel attention.
  Value conv_x = cab2_(g, g.gelu(cab0_(g, tokens::to_image(g, normed, height, width))));
  const Value gate = g.sigmoid(excite_(g, g.relu(squeeze_(g, g.global_avg_pool(conv_x)))));
  conv_x = tokens::to_tokens(g, g.mul(conv_x, gate));                           // [1, L, C]
  const int shift = shifted_ ? window_ / 2 : 0;
  Value shifted = shift > 0 ? attention::roll(g, normed, height, width, -shift, -shift) : normed;
  Value windows = attention::window_partition(g, shifted, height, width, window_, window_);
  windows = attention::window_attention(g, windows, attn_, g.constant(position_bias_),
                                        shift > 0 ? mask : engine::Value{});
  Value attended = attention::window_reverse(g, windows, height, width, window_, window_);
  if (shift > 0) attended = attention::roll(g, attended, height, width, shift, shift);
  x = g.add(g.add(x, attended), g.scale(conv_x, 0.01f));                        // conv_scale 0.01
  return g.add(x, fc2_(g, g.gelu(fc1_(g, norm2_(g, x)))));
}

Result<OverlapCrossAttention> OverlapCrossAttention::bind(const nn::StateDict& weights, const std::string& prefix,
                                                          int64_t dim, int heads, bool qkv_bias, Windows windows) {
  OverlapCrossAttention a;
  a.windows_ = windows;
  a.heads_ = heads;
  a.dim_ = dim;
  UPRES_RETURN_IF_ERROR(check_heads(prefix, dim, heads));
  UPRES_ASSIGN_OR_RETURN(a.norm1_, tokens::LayerNorm::bind(weights, prefix + ".norm1", dim));
  UPRES_ASSIGN_OR_RETURN(a.norm2_, tokens::LayerNorm::bind(weights, prefix + ".norm2", dim));
  UPRES_ASSIGN_OR_RETURN(a.qkv_, tokens::Linear::bind(weights, prefix + ".qkv", dim, 3 * dim, qkv_bias));
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dim / heads)));
  for (Tensor* t : {&a.qkv_.weight, &a.qkv_.bias}) {
    if (!t->is_defined()) continue;
    std::vector<float> v = t->to_f32();
    const int64_t row = t->numel() / t->dim(0);
    for (int64_t i = 0; i < dim * row; ++i) v[static_cast<size_t>(i)] *= scale;
    *t = *Tensor::from_f32(v, t->shape());
  }
  UPRES_ASSIGN_OR_RETURN(a.proj_, tokens::Linear::bind(weights, prefix + ".proj", dim, dim));
  const int ws = windows.size, ows = windows.overlap_size;
  const int64_t side = ws + ows - 1, nq = int64_t{ws} * ws, nk = int64_t{ows} * ows;
  UPRES_ASSIGN_OR_RETURN(const Tensor table, weights.tensor(prefix + ".relative_position_bias_table", {side * side, heads}));
  const std::vector<float> values = table.to_f32();
  const std::vector<int64_t> index = overlap_position_index(ws, ows);
  std::vector<float> bias(static_cast<size_t>(heads * nq * nk));
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t ij = 0; ij < nq * nk; ++ij) {
      bias[static_cast<size_t>(h * nq * nk + ij)] = values[static_cast<size_t>(index[static_cast<size_t>(ij)] * heads + h)];
    }
  }
  UPRES_ASSIGN_OR_RETURN(a.position_bias_, Tensor::from_f32(bias, {1, int64_t{heads}, nq, nk}));
  UPRES_ASSIGN_OR_RETURN(const int64_t hidden, weights.dim(prefix + ".mlp.fc1.weight", 0));
  if (hidden < 1 || hidden > 16 * dim) return corrupt(prefix + ".mlp.fc1: hidden size " + std::to_string(hidden));
  UPRES_ASSIGN_OR_RETURN(a.fc1_, tokens::Linear::bind(weights, prefix + ".mlp.fc1", dim, hidden));
  UPRES_ASSIGN_OR_RETURN(a.fc2_, tokens::Linear::bind(weights, prefix + ".mlp.fc2", hidden, dim));
  return a;
}

// Window i covers padded rows [i*ws, i*ws + ows): chunk k of it is rows [(i+k)*ws, (i+k)*ws +
// min(ws, ows - k*ws)), taken for every i at once from a slice of H rows starting at k*ws.
Value OverlapCrossAttention::overlapping_windows(Graph& g, tokens::SharedConstants& shared, Value map, int64_t height,
                                                 int64_t width) const {
  const int64_t ws = windows_.size, ows = windows_.overlap_size, pad = (ows - ws) / 2;
  const int64_t chunks = (ows + ws - 1) / ws, channels = g.shape(map)[2];
  const int64_t nh = height / ws, nw = width / ws;
  Value x = g.reshape(map, {height, width, channels});
  // Zero rows/columns: `pad` before; after, enough that every chunk's slice exists.
  const int64_t after_h = std::max<int64_t>(pad, (chunks - 1) * ws - pad), after_w = after_h;
  x = pad_axis(g, shared, x, 0, pad, after_h);                                    // [Hp, W, C]
  x = pad_axis(g, shared, x, 1, pad, after_w);                                    // [Hp, Wp, C]
  std::vector<Value> rows;
  for (int64_t k = 0; k < chunks; ++k) {
    Value part = g.reshape(g.slice(x, 0, k * ws, k * ws + height), {nh, ws, width + pad + after_w, channels});
    rows.push_back(g.slice(part, 1, 0, std::min(ws, ows - k * ws)));
  }
  x = rows.size() == 1 ? rows[0] : g.concat(rows, 1);                             // [nh, ows, Wp, C]
  std::vector<Value> cols;
  for (int64_t k = 0; k < chunks; ++k) {
    Value part = g.reshape(g.slice(x, 2, k * ws, k * ws + width), {nh, ows, nw, ws, channels});
    cols.push_back(g.slice(part, 3, 0, std::min(ws, ows - k * ws)));
  }
  x = cols.size() == 1 ? cols[0] : g.concat(cols, 3);                             // [nh, ows, nw, ows, C]
  x = g.permute(x, {0, 2, 1, 3, 4});
  return g.reshape(x, {nh * nw, ows * ows, channels});
}

Value OverlapCrossAttention::operator()(Graph& g, tokens::SharedConstants& shared, Value x, int64_t height,
                                        int64_t width) const {
  const int64_t c = dim_, heads = heads_, d = c / heads_;
  const int ws = windows_.size, ows = windows_.overlap_size;
  const int64_t nq = int64_t{ws} * ws, nk = int64_t{ows} * ows;
  const Value qkv = qkv_(g, norm1_(g, x));                                        // [1, L, 3C]
  Value q = attention::window_partition(g, g.slice(qkv, 2, 0, c), height, width, ws, ws);  // [nW, nq, C]
  const Value kv = overlapping_windows(g, shared, g.slice(qkv, 2, c, 3 * c), height, width);  // [nW, nk, 2C]
  const int64_t windows = g.shape(q)[0];
  q = g.permute(g.reshape(q, {windows, nq, heads, d}), {0, 2, 1, 3});            // [nW, h, nq, d]
  const Value kv_heads = g.reshape(kv, {windows, nk, 2, heads, d});
  const Value k = g.permute(g.reshape(g.slice(kv_heads, 2, 0, 1), {windows, nk, heads, d}), {0, 2, 3, 1});
  const Value v = g.permute(g.reshape(g.slice(kv_heads, 2, 1, 2), {windows, nk, heads, d}), {0, 2, 1, 3});
  Value scores = g.add(g.matmul(q, k), g.constant(position_bias_));              // [nW, h, nq, nk]
  Value out = g.matmul(g.softmax(scores, -1), v);                                // [nW, h, nq, d]
  out = g.reshape(g.permute(out, {0, 2, 1, 3}), {windows, nq, c});
  out = attention::window_reverse(g, out, height, width, ws, ws);                // [1, L, C]
  x = g.add(proj_(g, out), x);
  return g.add(x, fc2_(g, g.gelu(fc1_(g, norm2_(g, x)))));
}

}  // namespace upres::models::hat
