// Window attention graph pieces. Windows are gathered with reshape + permute (one copy each way);
// torch.roll is two slice + concat pairs; q, k and v are three linears on the split qkv weight (k
// produced already transposed by its permute), with the softmax scale folded into q's weights.
#include "models/attention/window_attention.h"

#include <cmath>
#include <string>

namespace upres::models::attention {
namespace {

using engine::Graph;
using engine::Shape;
using engine::Tensor;
using engine::Value;

// Rows [begin, begin + count) of a [rows, ...] or [rows] tensor, times `factor`.
Tensor rows_of(const Tensor& t, int64_t begin, int64_t count, float factor) {
  Shape shape = t.shape();
  const int64_t row_size = t.numel() / shape[0];
  shape[0] = count;
  std::vector<float> all = t.to_f32();
  std::vector<float> part(all.begin() + begin * row_size, all.begin() + (begin + count) * row_size);
  for (float& v : part) v *= factor;
  return *Tensor::from_f32(part, shape);
}

// torch.roll along axis 1 of a rank-3 value.
Value roll_axis1(Graph& graph, Value x, int64_t length, int shift) {
  const int64_t s = ((shift % length) + length) % length;
  if (s == 0) return x;
  return graph.concat({graph.slice(x, 1, length - s, length), graph.slice(x, 1, 0, length - s)}, 1);
}

}  // namespace

Value window_partition(Graph& graph, Value tokens, int64_t height, int64_t width, int window_h, int window_w) {
  const Shape& shape = graph.shape(tokens);
  const int64_t batch = shape[0], channels = shape[2];
  Value x = graph.reshape(tokens, {batch, height / window_h, window_h, width / window_w, window_w, channels});
  x = graph.permute(x, {0, 1, 3, 2, 4, 5});
  return graph.reshape(x, {-1, int64_t{window_h} * window_w, channels});
}

Value window_reverse(Graph& graph, Value windows, int64_t height, int64_t width, int window_h, int window_w) {
  const int64_t channels = graph.shape(windows)[2];
  Value x = graph.reshape(windows, {-1, height / window_h, width / window_w, window_h, window_w, channels});
  x = graph.permute(x, {0, 1, 3, 2, 4, 5});
  return graph.reshape(x, {-1, height * width, channels});
}

Value roll(Graph& graph, Value tokens, int64_t height, int64_t width, int shift_h, int shift_w) {
  const Shape& shape = graph.shape(tokens);
  const int64_t batch = shape[0], channels = shape[2];
  Value x = graph.reshape(tokens, {batch, height, width * channels});
  x = roll_axis1(graph, x, height, shift_h);
  x = graph.reshape(x, {batch * height, width, channels});
  x = roll_axis1(graph, x, width, shift_w);
  return graph.reshape(x, {batch, height * width, channels});
}

std::vector<int64_t> relative_position_index(int window_h, int window_w) {
  const int64_t n = int64_t{window_h} * window_w;
  std::vector<int64_t> index(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const int64_t dh = i / window_w - j / window_w + window_h - 1;
      const int64_t dw = i % window_w - j % window_w + window_w - 1;
      index[static_cast<size_t>(i * n + j)] = dh * (2 * window_w - 1) + dw;
    }
  }
  return index;
}

Result<Tensor> relative_position_bias(const Tensor& table, int window_h, int window_w) {
  const int64_t rows = int64_t{2 * window_h - 1} * (2 * window_w - 1);
  if (table.rank() != 2 || table.dim(0) != rows) {
    return corrupt("relative position bias table " + engine::shape_to_string(table.shape()) + " does not fit a " +
                   std::to_string(window_h) + "x" + std::to_string(window_w) + " window (expected [" +
                   std::to_string(rows) + ", heads])");
  }
  const int64_t heads = table.dim(1), n = int64_t{window_h} * window_w;
  const std::vector<float> values = table.to_f32();
  const std::vector<int64_t> index = relative_position_index(window_h, window_w);
  std::vector<float> bias(static_cast<size_t>(heads * n * n));
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t ij = 0; ij < n * n; ++ij) {
      bias[static_cast<size_t>(h * n * n + ij)] = values[static_cast<size_t>(index[ij] * heads + h)];
    }
  }
  return Tensor::from_f32(bias, {heads, n, n});
}

Tensor shifted_window_mask(int64_t height, int64_t width, int window, int shift, float masked) {
  // Region of a row (or column) of the rolled map: 0 before the last window, 1 in the last
  // window's first part, 2 in the `shift` rows that rolled around.
  auto region = [&](int64_t p, int64_t size) { return p < size - window ? 0 : (p < size - shift ? 1 : 2); };
  const int64_t wins_w = width / window, n = int64_t{window} * window;
  const int64_t windows = (height / window) * wins_w;
  std::vector<int> label(static_cast<size_t>(windows * n));
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t t = 0; t < n; ++t) {
      const int64_t y = (w / wins_w) * window + t / window, x = (w % wins_w) * window + t % window;
      label[static_cast<size_t>(w * n + t)] = region(y, height) * 3 + region(x, width);
    }
  }
  std::vector<float> mask(static_cast<size_t>(windows * n * n));
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const bool same = label[static_cast<size_t>(w * n + i)] == label[static_cast<size_t>(w * n + j)];
        mask[static_cast<size_t>((w * n + i) * n + j)] = same ? 0.0f : masked;
      }
    }
  }
  return *Tensor::from_f32(mask, {windows, n, n});
}

Status check_multi_head_weights(const MultiHeadWeights& weights, int64_t channels) {
  if (weights.heads <= 0 || channels % weights.heads != 0) {
    return corrupt("attention: " + std::to_string(channels) + " channels do not split into " +
                   std::to_string(weights.heads) + " heads");
  }
  auto expect = [](const Tensor& t, const Shape& shape, const char* name, bool optional) -> Status {
    if (optional && !t.is_defined()) return Status::ok();
    if (!t.is_defined() || t.shape() != shape) {
      return corrupt(std::string("attention: ") + name + " is " +
                     (t.is_defined() ? engine::shape_to_string(t.shape()) : std::string("missing")) + ", expected " +
                     engine::shape_to_string(shape));
    }
    return Status::ok();
  };
  UPRES_RETURN_IF_ERROR(expect(weights.qkv_weight, {3 * channels, channels}, "qkv weight", false));
  UPRES_RETURN_IF_ERROR(expect(weights.qkv_bias, {3 * channels}, "qkv bias", true));
  UPRES_RETURN_IF_ERROR(expect(weights.proj_weight, {channels, channels}, "proj weight", false));
  return expect(weights.proj_bias, {channels}, "proj bias", true);
}

Value window_attention(Graph& graph, Value windows, const MultiHeadWeights& weights, Value bias, Value mask) {
  const Shape& shape = graph.shape(windows);
  const int64_t batch = shape[0], n = shape[1], channels = shape[2];
  const int64_t heads = weights.heads, head_dim = channels / heads;
  const float scale = weights.scale != 0.0f ? weights.scale : 1.0f / std::sqrt(static_cast<float>(head_dim));
  auto projection = [&](int part, float factor) {
    Tensor bias_part = weights.qkv_bias.is_defined() ? rows_of(weights.qkv_bias, part * channels, channels, factor)
                                                     : Tensor();
    Value y = graph.linear(windows, rows_of(weights.qkv_weight, part * channels, channels, factor), bias_part);
    return graph.reshape(y, {batch, n, heads, head_dim});
  };
  const Value q = graph.permute(projection(0, scale), {0, 2, 1, 3});           // [B_, heads, N, d]
  const Value k_transposed = graph.permute(projection(1, 1.0f), {0, 2, 3, 1});  // [B_, heads, d, N]
  const Value v = graph.permute(projection(2, 1.0f), {0, 2, 1, 3});           // [B_, heads, N, d]
  Value scores = graph.matmul(q, k_transposed);                               // [B_, heads, N, N]
  if (bias.is_valid()) scores = graph.add(scores, graph.reshape(bias, {1, heads, n, n}));
  if (mask.is_valid()) {
    const int64_t windows_per_image = graph.shape(mask)[0];
    if (batch == windows_per_image) {  // one picture: a rank-4 broadcast, which runs on oneDNN's jit binary
      scores = graph.add(scores, graph.reshape(mask, {windows_per_image, 1, n, n}));
    } else {
      scores = graph.reshape(scores, {batch / windows_per_image, windows_per_image, heads, n, n});
      scores = graph.add(scores, graph.reshape(mask, {1, windows_per_image, 1, n, n}));
      scores = graph.reshape(scores, {batch, heads, n, n});
    }
  }
  Value out = graph.matmul(graph.softmax(scores, -1), v);                     // [B_, heads, N, d]
  out = graph.reshape(graph.permute(out, {0, 2, 1, 3}), {batch, n, channels});
  return graph.linear(out, weights.proj_weight, weights.proj_bias);
}

}  // namespace upres::models::attention
