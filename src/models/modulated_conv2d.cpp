// ModulatedConv2d: weight binding, the per-style factors, and the graph nodes.
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
  UPRES_ASSIGN_OR_RETURN(engine::Tensor weight,
                         weights.tensor(key + ".weight", {1, out, in, k, k}));
  UPRES_ASSIGN_OR_RETURN(conv.weight_, weight.reshaped({out, in, k, k}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor mod_weight,
                         weights.tensor(key + ".modulation.weight", {in, shape.num_style_feat}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor mod_bias, weights.tensor(key + ".modulation.bias", {in}));
  conv.modulation_weight_ = mod_weight.to_f32();
  conv.modulation_bias_ = mod_bias.to_f32();
  return conv;
}

Result<ModulatedConv2d::Factors> ModulatedConv2d::factors(std::span<const float> style,
                                                          float gain) const {
  const int64_t in = shape_.in_channels;
  const int64_t nf = shape_.num_style_feat;
  const int64_t taps = int64_t{shape_.kernel} * shape_.kernel;
  if (static_cast<int64_t>(style.size()) != nf) {
    return invalid_argument(name_ + ": style has " + std::to_string(style.size()) +
                            " values, expected " + std::to_string(nf));
  }
  std::vector<float> s(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) {
    double sum = modulation_bias_[static_cast<size_t>(i)];
    const float* row = modulation_weight_.data() + i * nf;
    for (int64_t f = 0; f < nf; ++f)
      sum += static_cast<double>(row[f]) * style[static_cast<size_t>(f)];
    s[static_cast<size_t>(i)] = static_cast<float>(sum);
  }
  Factors f;
  UPRES_ASSIGN_OR_RETURN(f.scale, engine::Tensor::from_f32(s, {1, in, 1, 1}));
  if (!shape_.demodulate) return f;
  std::vector<float> d(static_cast<size_t>(shape_.out_channels));
  const float* w = weight_.f32();
  for (int64_t o = 0; o < shape_.out_channels; ++o) {
    const int64_t row = o * in * taps;
    double square_sum = 0.0;
    for (int64_t i = 0; i < in; ++i) {
      for (int64_t t = 0; t < taps; ++t) {
        const float modulated = w[row + i * taps + t] * s[static_cast<size_t>(i)];
        square_sum += static_cast<double>(modulated) * modulated;
      }
    }
    d[static_cast<size_t>(o)] = static_cast<float>(gain / std::sqrt(square_sum + 1e-8));
  }
  UPRES_ASSIGN_OR_RETURN(f.demod, engine::Tensor::from_f32(d, {1, shape_.out_channels, 1, 1}));
  return f;
}

engine::Value ModulatedConv2d::operator()(engine::Graph& g, engine::Value x, engine::Value scale,
                                          engine::Value demod, engine::Tensor bias) const {
  if (shape_.upsample) {
    const engine::ResizeAttrs up{.mode = engine::ResizeMode::kBilinear, .scale_h = 2, .scale_w = 2};
    x = g.resize(x, up);  // [1, in, 2h, 2w]
  }
  engine::Conv2dAttrs attrs;
  attrs.padding = shape_.kernel / 2;
  if (!demod.is_valid()) return g.named(g.conv2d(g.mul(x, scale), weight_, std::move(bias), attrs), name_);
  engine::Value y = g.mul(g.named(g.conv2d(g.mul(x, scale), weight_, {}, attrs), name_), demod);
  if (!bias.is_defined()) return y;  // [1, out, h', w']
  return g.add(y, g.constant(bias.reshaped({1, shape_.out_channels, 1, 1}).value()));
}

}  // namespace upres::models
