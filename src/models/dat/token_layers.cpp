// Token-map layers: weight binding with shape checks and the graph pieces they add.
#include "models/dat/token_layers.h"

#include <cmath>
#include <string>
#include <vector>

namespace upres::models::tokens {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

}  // namespace

Result<BatchNorm2d> BatchNorm2d::bind(const nn::StateDict& weights, std::string_view key, int64_t channels) {
  BatchNorm2d bn;
  const std::string prefix(key);
  UPRES_ASSIGN_OR_RETURN(bn.weight, weights.tensor(prefix + ".weight", {channels}));
  UPRES_ASSIGN_OR_RETURN(bn.bias, weights.tensor(prefix + ".bias", {channels}));
  UPRES_ASSIGN_OR_RETURN(bn.running_mean, weights.tensor(prefix + ".running_mean", {channels}));
  UPRES_ASSIGN_OR_RETURN(bn.running_var, weights.tensor(prefix + ".running_var", {channels}));
  return bn;
}

Value BatchNorm2d::operator()(Graph& graph, Value x) const {
  return graph.batch_norm(x, weight, bias, running_mean, running_var);
}

Result<Conv> Conv::bind(const nn::StateDict& weights, std::string_view key, int64_t in, int64_t out, int kernel,
                        int groups, bool has_bias) {
  if (in <= 0 || out <= 0 || groups <= 0 || in % groups != 0 || out % groups != 0) {
    return corrupt("conv '" + std::string(key) + "': " + std::to_string(in) + " -> " + std::to_string(out) +
                   " channels in " + std::to_string(groups) + " groups");
  }
  Conv conv;
  const std::string prefix(key);
  UPRES_ASSIGN_OR_RETURN(conv.weight, weights.tensor(prefix + ".weight", {out, in / groups, kernel, kernel}));
  if (has_bias) {
    UPRES_ASSIGN_OR_RETURN(conv.bias, weights.tensor(prefix + ".bias", {out}));
  }
  conv.attrs.padding = kernel / 2;
  conv.attrs.groups = groups;
  return conv;
}

Value pad_bottom_right(Graph& graph, SharedConstants& shared, Value tokens, int64_t height, int64_t width,
                       int64_t padded_h, int64_t padded_w) {
  if (padded_h == height && padded_w == width) return tokens;
  const int64_t channels = graph.shape(tokens)[2];
  Value x = tokens;
  if (padded_w > width) {
    x = graph.reshape(x, {height, width, channels});
    x = graph.concat({x, shared.zeros({height, padded_w - width, channels})}, 1);
    x = graph.reshape(x, {1, height * padded_w, channels});
  }
  if (padded_h > height) x = graph.concat({x, shared.zeros({1, (padded_h - height) * padded_w, channels})}, 1);
  return x;
}

Value crop_top_left(Graph& graph, Value tokens, int64_t map_h, int64_t map_w, int64_t height, int64_t width) {
  if (map_h == height && map_w == width) return tokens;
  const int64_t channels = graph.shape(tokens)[2];
  Value x = graph.reshape(tokens, {map_h, map_w, channels});
  if (map_h > height) x = graph.slice(x, 0, 0, height);
  if (map_w > width) x = graph.slice(x, 1, 0, width);
  return graph.reshape(x, {1, height * width, channels});
}

Value l2_normalize_times_sqrt_n(Graph& graph, Value x) {
  const int rank = static_cast<int>(graph.shape(x).size());
  const int64_t n = graph.shape(x).back();
  Value both = graph.concat({x, graph.scale(x, -1.0f)}, rank - 1);
  // eps far below any real sum of squares: F.normalize's max(norm, 1e-12) only matters at zero.
  both = graph.layer_norm(both, Tensor(), Tensor(), {.normalized_dims = 1, .eps = 1e-30f});
  return graph.slice(both, rank - 1, 0, n);
}

Tensor shifted_window_mask(int64_t height, int64_t width, int window_h, int window_w, int shift_h, int shift_w) {
  auto region = [](int64_t p, int64_t size, int window, int shift) {
    if (shift == 0) return 2;
    return p < size - window ? 0 : (p < size - shift ? 1 : 2);
  };
  const int64_t wins_w = width / window_w, n = int64_t{window_h} * window_w;
  const int64_t windows = (height / window_h) * wins_w;
  std::vector<int> label(static_cast<size_t>(windows * n));
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t t = 0; t < n; ++t) {
      const int64_t y = (w / wins_w) * window_h + t / window_w, x = (w % wins_w) * window_w + t % window_w;
      label[static_cast<size_t>(w * n + t)] =
          region(y, height, window_h, shift_h) * 3 + region(x, width, window_w, shift_w);
    }
  }
  std::vector<float> mask(static_cast<size_t>(windows * n * n));
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const bool same = label[static_cast<size_t>(w * n + i)] == label[static_cast<size_t>(w * n + j)];
        mask[static_cast<size_t>((w * n + i) * n + j)] = same ? 0.0f : -100.0f;
      }
    }
  }
  return *Tensor::from_f32(mask, {windows, n, n});
}

}  // namespace upres::models::tokens

namespace upres::models::tokens {

Result<Upsampler> Upsampler::bind(const nn::StateDict& weights, int64_t embed_dim, int64_t out_channels) {
  Upsampler u;
  u.direct_ = !weights.has("conv_last.weight");
  if (u.direct_) {
    UPRES_ASSIGN_OR_RETURN(const int64_t rows, weights.dim("upsample.0.weight", 0));
    const int64_t square = rows / out_channels;
    const auto s = static_cast<int>(std::lround(std::sqrt(static_cast<double>(square))));
    if (rows % out_channels != 0 || s < 1 || s > 8 || int64_t{s} * s != square) {
      return corrupt("upsample.0.weight has " + std::to_string(rows) + " output channels, not " +
                     std::to_string(out_channels) + " * scale^2 with scale <= 8");
    }
    u.scale_ = s;
    u.num_feat_ = embed_dim;
    UPRES_ASSIGN_OR_RETURN(Conv conv, Conv::bind(weights, "upsample.0", embed_dim, rows, 3));
    u.stages_.push_back(std::move(conv));
    u.factors_.push_back(s);
    return u;
  }
  UPRES_ASSIGN_OR_RETURN(u.num_feat_, weights.dim("conv_before_upsample.0.weight", 0));
  if (u.num_feat_ <= 0 || u.num_feat_ > 4096) return corrupt("conv_before_upsample.0: " + std::to_string(u.num_feat_) + " features");
  UPRES_ASSIGN_OR_RETURN(u.before_, Conv::bind(weights, "conv_before_upsample.0", embed_dim, u.num_feat_, 3));
  const int64_t nf = u.num_feat_;
  for (int i = 0; weights.has("upsample." + std::to_string(i) + ".weight"); i += 2) {
    const std::string key = "upsample." + std::to_string(i);
    UPRES_ASSIGN_OR_RETURN(const int64_t rows, weights.dim(key + ".weight", 0));
    const int factor = rows == 4 * nf ? 2 : (rows == 9 * nf && i == 0 ? 3 : 0);
    if (factor == 0 || u.scale_ * factor > 8) {
      return corrupt(key + ".weight has " + std::to_string(rows) + " output channels for " + std::to_string(nf) +
                     " features (expected 4x per factor 2, or 9x once for factor 3)");
    }
    UPRES_ASSIGN_OR_RETURN(Conv conv, Conv::bind(weights, key, nf, rows, 3));
    u.stages_.push_back(std::move(conv));
    u.factors_.push_back(factor);
    u.scale_ *= factor;
    if (factor == 3) break;
  }
  if (u.stages_.empty()) return corrupt("upsample.0.weight missing (pixelshuffle upsampler)");
  UPRES_ASSIGN_OR_RETURN(u.last_, Conv::bind(weights, "conv_last", nf, out_channels, 3));
  return u;
}

double Upsampler::peak_floats_per_input_pixel() const {
  const double s2 = static_cast<double>(scale_) * scale_;
  if (direct_) return 2.0 * 3.0 * s2 + static_cast<double>(num_feat_);
  return 5.0 * static_cast<double>(num_feat_) * s2 + 3.0 * s2;
}

engine::Value Upsampler::operator()(engine::Graph& graph, engine::Value x) const {
  if (!direct_) x = graph.leaky_relu(before_(graph, x), 0.01f);
  for (size_t i = 0; i < stages_.size(); ++i) x = graph.pixel_shuffle(stages_[i](graph, x), factors_[i]);
  return direct_ ? x : last_(graph, x);
}

}  // namespace upres::models::tokens
