// Reference normalizations (inference mode) and softmax. Statistics in double, biased variance
// as PyTorch uses for normalization.
#include <algorithm>
#include <cmath>

#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {
namespace {

// Normalizes `count` values at x (stride 1) into y; weight/bias indexed by `affine_index(i)`.
template <typename AffineIndex>
void normalize(const float* x, float* y, int64_t count, float eps, const std::vector<float>& weight,
               const std::vector<float>& bias, AffineIndex affine_index) {
  double mean = 0.0;
  for (int64_t i = 0; i < count; ++i) mean += x[i];
  mean /= static_cast<double>(count);
  double var = 0.0;
  for (int64_t i = 0; i < count; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(count);
  const double inv = 1.0 / std::sqrt(var + eps);
  for (int64_t i = 0; i < count; ++i) {
    const size_t a = static_cast<size_t>(affine_index(i));
    double v = (x[i] - mean) * inv;
    if (!weight.empty()) v *= weight[a];
    if (!bias.empty()) v += bias[a];
    y[i] = static_cast<float>(v);
  }
}

}  // namespace

Status layer_norm(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const LayerNormAttrs* a, attrs_of<LayerNormAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  int64_t count = 1;
  for (size_t i = in.size() - static_cast<size_t>(a->normalized_dims); i < in.size(); ++i) count *= in[i];
  const int64_t rows = shape_numel(in) / count;
  for (int64_t r = 0; r < rows; ++r) {
    normalize(args.inputs[0] + r * count, args.output + r * count, count, a->eps, args.constants[0],
              args.constants[1], [](int64_t i) { return i; });
  }
  return Status::ok();
}

Status group_norm(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const GroupNormAttrs* a, attrs_of<GroupNormAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const int64_t channels = in[1], spatial = shape_numel(in) / in[0] / channels;
  const int64_t per_group = channels / a->groups;
  const int64_t count = per_group * spatial;
  for (int64_t n = 0; n < in[0]; ++n) {
    for (int64_t g = 0; g < a->groups; ++g) {
      const int64_t offset = (n * channels + g * per_group) * spatial;
      normalize(args.inputs[0] + offset, args.output + offset, count, a->eps, args.constants[0],
                args.constants[1], [&](int64_t i) { return g * per_group + i / spatial; });
    }
  }
  return Status::ok();
}

Status batch_norm(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const BatchNormAttrs* a, attrs_of<BatchNormAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const int64_t channels = in[1], spatial = shape_numel(in) / in[0] / channels;
  const auto& weight = args.constants[0];
  const auto& bias = args.constants[1];
  const auto& mean = args.constants[2];
  const auto& var = args.constants[3];
  for (int64_t i = 0; i < shape_numel(in); ++i) {
    const size_t c = static_cast<size_t>((i / spatial) % channels);
    double v = (args.inputs[0][i] - static_cast<double>(mean[c])) / std::sqrt(static_cast<double>(var[c]) + a->eps);
    if (!weight.empty()) v *= weight[c];
    if (!bias.empty()) v += bias[c];
    args.output[i] = static_cast<float>(v);
  }
  return Status::ok();
}

Status softmax(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const SoftmaxAttrs* a, attrs_of<SoftmaxAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const size_t axis = static_cast<size_t>(normalize_axis(a->axis, static_cast<int>(in.size())));
  int64_t inner = 1;
  for (size_t i = axis + 1; i < in.size(); ++i) inner *= in[i];
  const int64_t length = in[axis], outer = shape_numel(in) / (length * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      const float* x = args.inputs[0] + o * length * inner + j;
      float* y = args.output + o * length * inner + j;
      double peak = x[0];
      for (int64_t i = 1; i < length; ++i) peak = std::max(peak, static_cast<double>(x[i * inner]));
      double sum = 0.0;
      for (int64_t i = 0; i < length; ++i) sum += std::exp(x[i * inner] - peak);
      for (int64_t i = 0; i < length; ++i) y[i * inner] = static_cast<float>(std::exp(x[i * inner] - peak) / sum);
    }
  }
  return Status::ok();
}

Status l2_normalize(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const L2NormalizeAttrs* a, attrs_of<L2NormalizeAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const int64_t length = in.back(), rows = shape_numel(in) / length;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = args.inputs[0] + r * length;
    float* y = args.output + r * length;
    double sum = 0.0;
    for (int64_t i = 0; i < length; ++i) sum += static_cast<double>(x[i]) * x[i];
    const double norm = std::max(std::sqrt(sum), static_cast<double>(a->eps));
    for (int64_t i = 0; i < length; ++i) y[i] = static_cast<float>(x[i] / norm);
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
