// WindowAttention's graph: three linears, heads split by reshape + permute (k produced already
// transposed), scores + bias (+ mask), softmax, times v, heads merged, proj.
#include "models/swinir/swin_attention.h"

#include <utility>
#include <vector>

namespace upres::models::swin {
namespace {

using engine::Graph;
using engine::Shape;
using engine::Tensor;
using engine::Value;

// Elements [begin, begin + count) along axis 0, times `factor`.
Tensor rows_of(const Tensor& t, int64_t begin, int64_t count, float factor) {
  Shape shape = t.shape();
  const int64_t row = t.numel() / shape[0];
  shape[0] = count;
  const std::vector<float> all = t.to_f32();
  std::vector<float> part(all.begin() + begin * row, all.begin() + (begin + count) * row);
  for (float& v : part) v *= factor;
  return *Tensor::from_f32(part, shape);
}

// scores [B_, heads, N, N] + mask [nW, N, N] per window.
Value add_window_mask(Graph& g, Value scores, Value mask) {
  const Shape shape = g.shape(scores);
  const int64_t batch = shape[0], heads = shape[1], n = shape[2], windows = g.shape(mask)[0];
  if (batch == windows) return g.add(scores, g.reshape(mask, {windows, 1, n, n}));
  scores = g.reshape(scores, {batch / windows, windows, heads, n, n});
  scores = g.add(scores, g.reshape(mask, {1, windows, 1, n, n}));
  return g.reshape(scores, {batch, heads, n, n});
}

}  // namespace

void split_qkv(const Tensor& weight, const Tensor& bias, float q_factor, WindowAttention& attn) {
  const int64_t channels = weight.dim(1);
  Linear* parts[] = {&attn.q, &attn.k, &attn.v};
  for (int i = 0; i < 3; ++i) {
    const float factor = i == 0 ? q_factor : 1.0f;
    parts[i]->weight = rows_of(weight, i * channels, channels, factor);
    if (bias.is_defined()) parts[i]->bias = rows_of(bias, i * channels, channels, factor);
  }
}

Value WindowAttention::operator()(Graph& g, Value windows, Value mask) const {
  const Shape shape = g.shape(windows);
  const int64_t batch = shape[0], n = shape[1], channels = shape[2], head_dim = channels / heads;
  auto split = [&](Value x, std::vector<int> order) {
    return g.permute(g.reshape(x, {batch, n, heads, head_dim}), std::move(order));
  };
  Value queries = q(g, windows);
  Value keys = k(g, windows);
  if (cosine) {  // F.normalize over each head's channels, the temperature folded into q
    queries = g.mul(g.l2_normalize(g.reshape(queries, {batch * n, heads, head_dim})), g.constant(temperature));
    keys = g.l2_normalize(g.reshape(keys, {batch * n, heads, head_dim}));
  }
  const Value q_heads = split(queries, {0, 2, 1, 3});                     // [B_, heads, N, d]
  const Value k_transposed = split(keys, {0, 2, 3, 1});                   // [B_, heads, d, N]
  const Value v_heads = split(v(g, windows), {0, 2, 1, 3});               // [B_, heads, N, d]
  Value scores = g.add(g.matmul(q_heads, k_transposed), g.constant(bias)); // [B_, heads, N, N]
  if (mask.is_valid()) scores = add_window_mask(g, scores, mask);
  Value out = g.matmul(g.softmax(scores, -1), v_heads);                  // [B_, heads, N, d]
  out = g.reshape(g.permute(out, {0, 2, 1, 3}), {batch, n, channels});
  return proj(g, out);
}

}  // namespace upres::models::swin
