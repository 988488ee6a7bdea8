// ModulatedConv2d: weight binding, the host-side style factors, and the graph nodes.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
#include "models/modulated_conv2d.h"

#include <cmath>

namespace upres::models {

Result<ModulatedConv2d> ModulatedConv2d::bind(const nn::StateDict& weights, const std::string& key,
                                              const ModulatedConv2dShape& shape) {
  const int64_t in = shape.in_channels;
  const int64_t out = shape.out_channels;
  const int64_t k = shape.kernel;
  ModulatedConv2d conv;
  conv.name_ = key;
  conv.shape_ = shape;
  UPRES_ASSIGN_OR_RETURN(engine::Tensor weight, weights.tensor(key + ".weight", {1, out, in, k, k}));
  UPRES_ASSIGN_OR_RETURN(conv.weight_, weight.reshaped({out, in, k, k}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor mod_weight,
                         weights.tensor(key + ".modulation.weight", {in, shape.num_style_feat}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor mod_bias, weights.tensor(key + ".modulation.bias", {in}));
  conv.modulation_weight_ = mod_weight.to_f32();
  conv.modulation_bias_ = mod_bias.to_f32();
  const float* w = conv.weight_.f32();
  conv.weight_square_sums_.assign(static_cast<size_t>(out * in), 0.0f);
  for (int64_t oi = 0; oi < out * in; ++oi) {
    double sum = 0.0;
    for (int64_t t = 0; t < k * k; ++t) sum += static_cast<double>(w[oi * k * k + t]) * w[oi * k * k + t];
    conv.weight_square_sums_[static_cast<size_t>(oi)] = static_cast<float>(sum);
  }
  return conv;
}

int64_t ModulatedConv2d::factor_count() const {
  return shape_.in_channels + (shape_.demodulate ? shape_.out_channels : 0);
}

void ModulatedConv2d::append_factors(std::span<const float> style, float gain,
                                     std::vector<float>& factors) const {
  const int64_t in = shape_.in_channels;
  const int64_t nf = shape_.num_style_feat;
  std::vector<double> s(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) {
    double sum = modulation_bias_[static_cast<size_t>(i)];
    const float* row = modulation_weight_.data() + i * nf;
    for (int64_t f = 0; f < nf; ++f) sum += static_cast<double>(row[f]) * style[static_cast<size_t>(f)];
    s[static_cast<size_t>(i)] = sum;
    factors.push_back(static_cast<float>(sum));
  }
  if (!shape_.demodulate) return;
  for (int64_t o = 0; o < shape_.out_channels; ++o) {
    const float* row = weight_square_sums_.data() + o * in;
    double sum = 0.0;
    for (int64_t i = 0; i < in; ++i) sum += row[i] * s[static_cast<size_t>(i)] * s[static_cast<size_t>(i)];
    factors.push_back(static_cast<float>(gain / std::sqrt(sum + 1e-8)));
  }
}

engine::Value ModulatedConv2d::operator()(engine::Graph& g, engine::Value x, engine::Value factors) const {
  const int64_t in = shape_.in_channels;
  // The input scale is per channel, so it commutes with the bilinear upsampling: apply it at
  // the lower resolution.
  engine::Value scales = g.slice(factors, 1, 0, in);                          // [1, in, 1, 1]
  x = g.mul(x, scales);                                                       // [1, in, h, w]
  if (shape_.upsample) {
    const engine::ResizeAttrs up{.mode = engine::ResizeMode::kBilinear, .scale_h = 2, .scale_w = 2};
    x = g.resize(x, up);                                                      // [1, in, 2h, 2w]
  }
  engine::Conv2dAttrs attrs;
  attrs.padding = shape_.kernel / 2;
  engine::Value out = g.named(g.conv2d(x, weight_, {}, attrs), name_);        // [1, out, h', w']
  if (shape_.demodulate) {
    out = g.mul(out, g.slice(factors, 1, in, in + shape_.out_channels));     // [1, out, h', w']
  }
  return out;
}

}  // namespace upres::models
