// FfcLayer: one FFC_BN_ACT of LaMa's generator (fast Fourier convolution, Chi et al. 2020, as
// advimman/lama's saicinpainting/training/modules/ffc.py builds it with ReLU): channels split into
// a local part and a global part; out_l = relu(bn_l(convl2l(x_l) + convg2l(x_g))) and
// out_g = relu(bn_g(convl2g(x_l) + spectral(x_g))), each conv reflect padded without bias, a path
// present only when both of its channel counts are non-zero. The spectral transform (no LFU, as in
// big-lama): y = relu(bn(conv1x1(x))); z = conv1x1(y + fourier_unit(y)), where the Fourier unit is
// irfft2(relu(bn(conv1x1(rfft2(y))))). Every BatchNorm is folded into the convolutions that feed it
// at load (bn(a + b) = s a + (s b + t)). Immutable after binding; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::models::lama {

struct FfcShape {
  int64_t in_local = 0, in_global = 0;  // channels in (the global count may be 0)
  int kernel = 3;
  int stride = 1;
  int padding = 1;  // reflect padding on every side (0: the caller padded)
};

// A convolution whose BatchNorm factor is already in the weight (bias may be undefined).
struct FoldedConv {
  engine::Tensor weight, bias;
  std::string name;
  bool present() const { return weight.is_defined(); }
};

class FfcLayer {
 public:
  // Binds "<key>.ffc.conv{l2l,l2g,g2l}.weight", "<key>.ffc.convg2g.*", "<key>.bn_{l,g}.*"; the
  // output split comes from bn_l / bn_g. Corrupt (naming the key and shapes) when a path the channel
  // counts need is missing or a shape does not fit.
  static Result<FfcLayer> bind(const nn::StateDict& weights, const std::string& key, const FfcShape& shape);

  int64_t out_local() const { return out_local_; }
  int64_t out_global() const { return out_global_; }

  // (x_local, x_global) -> (out_local, out_global); an absent part is an invalid Value.
  std::pair<engine::Value, engine::Value> operator()(engine::Graph& graph, engine::Value x_local,
                                                     engine::Value x_global) const;

 private:
  engine::Value spectral(engine::Graph& graph, engine::Value x_global, engine::Value local_to_global) const;

  FfcShape shape_;
  int64_t out_local_ = 0, out_global_ = 0;
  FoldedConv l2l_, l2g_, g2l_;
  FoldedConv spectral_in_, fourier_, spectral_out_;  // convg2g.conv1, .fu.conv_layer, .conv2
};

// BatchNorm2d (eps 1e-5, running statistics) under `key`, s = weight / sqrt(var + eps) and
// t = bias - mean * s, folded into `conv`'s output channels: weight *= s, bias *= s, and with
// `add_shift` bias += t (made when the conv has none; of two summed convs only one adds t).
// `output_axis` is 0 for Conv2d weights [out, in, k, k], 1 for ConvTranspose2d [in, out, k, k].
Status fold_batch_norm(const nn::StateDict& weights, const std::string& key, int output_axis, bool add_shift,
                       FoldedConv& conv);

}  // namespace upres::models::lama
