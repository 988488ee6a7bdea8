// ModulatedConv2d: weight binding, the per-style factors, and the graph nodes.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
#include "models/modulated_conv2d.h"


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
  UPRES_ASSIGN_OR_RETURN(engine::Tensor modulation,
                         weights.tensor(key + ".modulation.weight", {in, shape.num_style_feat}));
  UPRES_ASSIGN_OR_RETURN(conv.modulation_weight_, modulation.reshaped({in, shape.num_style_feat, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(conv.modulation_bias_, weights.tensor(key + ".modulation.bias", {in}));
  if (!shape.demodulate) return conv;
  const std::vector<float> w = conv.weight_.to_f32();
  const int64_t taps = k * k;
  std::vector<float> squared(static_cast<size_t>(out * in));
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) {
      double sum = 0.0;
      for (int64_t t = 0; t < taps; ++t) {
        const double v = w[static_cast<size_t>((o * in + i) * taps + t)];
        sum += v * v;
      }
      squared[static_cast<size_t>(o * in + i)] = static_cast<float>(sum);
    }
  }
  UPRES_ASSIGN_OR_RETURN(conv.squared_weight_, engine::Tensor::from_f32(squared, {out, in, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(conv.demod_epsilon_,
                         engine::Tensor::from_f32(std::vector<float>(static_cast<size_t>(out), 1e-8f), {out}));
  return conv;
}

ModulatedConv2d::Factors ModulatedConv2d::factors(engine::Graph& g, engine::Value style, float gain,
                                                  FactorSums sums) const {
  const int64_t in = shape_.in_channels;
  const int64_t out = shape_.out_channels;
  const int64_t nf = shape_.num_style_feat;
  Factors f;
  if (sums == FactorSums::kConv1x1) {
    f.scale = g.conv2d(g.reshape(style, {1, nf, 1, 1}), modulation_weight_, modulation_bias_);  // [1, in, 1, 1]
    if (!shape_.demodulate) return f;
    f.demod = g.conv2d(g.mul(f.scale, f.scale), squared_weight_, demod_epsilon_);  // [1, out, 1, 1]
  } else {
    engine::Value scale = g.linear(style, modulation_weight_.reshaped({in, nf}).value(), modulation_bias_);
    f.scale = g.reshape(scale, {1, in, 1, 1});
    if (!shape_.demodulate) return f;
    engine::Value energy =
        g.linear(g.mul(scale, scale), squared_weight_.reshaped({out, in}).value(), demod_epsilon_);  // [1, out]
    f.demod = g.reshape(energy, {1, out, 1, 1});
  }
  f.demod = g.scale(g.unary(f.demod, {.op = engine::UnaryOp::kPow, .exponent = -0.5f}), gain);
  return f;
}

engine::Value ModulatedConv2d::operator()(engine::Graph& g, engine::Value x, engine::Value scale,
                                          engine::Value demod, engine::Tensor bias) const {
  // The per-channel style scale commutes with the bilinear upsample (each output is a convex
  // combination of one channel's inputs), so it is applied before it, on a quarter of the pixels.
  x = g.mul(x, scale);
  if (shape_.upsample) {
    const engine::ResizeAttrs up{.mode = engine::ResizeMode::kBilinear, .scale_h = 2, .scale_w = 2};
    x = g.resize(x, up);  // [1, in, 2h, 2w]
  }
  engine::Conv2dAttrs attrs;
  attrs.padding = shape_.kernel / 2;
  if (!demod.is_valid()) return g.named(g.conv2d(x, weight_, std::move(bias), attrs), name_);
  engine::Value y = g.mul(g.named(g.conv2d(x, weight_, {}, attrs), name_), demod);
  if (!bias.is_defined()) return y;  // [1, out, h', w']
  return g.add(y, g.constant(bias.reshaped({1, shape_.out_channels, 1, 1}).value()));
}

}  // namespace upres::models
