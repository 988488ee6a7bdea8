// Reference elementwise kernels: constants, activations, broadcasting add/mul, scale.
#include <cmath>
#include <cstring>

#include "engine/reference/broadcast.h"
#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {

float apply_activation(Activation activation, float x, float alpha) {
  switch (activation) {
    case Activation::kNone: return x;
    case Activation::kRelu: return x > 0.0f ? x : 0.0f;
    case Activation::kLeakyRelu:
    case Activation::kPrelu: return x >= 0.0f ? x : alpha * x;
    case Activation::kSigmoid: return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
    case Activation::kTanh: return std::tanh(x);
    case Activation::kGelu: return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))));
    case Activation::kSilu: return static_cast<float>(x / (1.0 + std::exp(-static_cast<double>(x))));
    case Activation::kMish: return static_cast<float>(x * std::tanh(std::log1p(std::exp(static_cast<double>(x)))));
  }
  return x;
}

Status constant(const KernelArgs& args) {
  const std::vector<float>& values = args.constants[0];
  std::memcpy(args.output, values.data(), values.size() * sizeof(float));
  return Status::ok();
}

namespace {

float gelu_tanh(float x) {
  const double k = std::sqrt(2.0 / M_PI);
  double inner = k * (x + 0.044715 * static_cast<double>(x) * x * x);
  return static_cast<float>(0.5 * x * (1.0 + std::tanh(inner)));
}

Activation activation_of(OpKind kind) {
  switch (kind) {
    case OpKind::kRelu: return Activation::kRelu;
    case OpKind::kLeakyRelu: return Activation::kLeakyRelu;
    case OpKind::kPrelu: return Activation::kPrelu;
    case OpKind::kSigmoid: return Activation::kSigmoid;
    case OpKind::kTanh: return Activation::kTanh;
    case OpKind::kGelu: return Activation::kGelu;
    case OpKind::kSilu: return Activation::kSilu;
    case OpKind::kMish: return Activation::kMish;
    default: return Activation::kNone;
  }
}

}  // namespace

Status activation(const KernelArgs& args) {
  const Shape& shape = args.input_shapes[0];
  const int64_t count = shape_numel(shape);
  const Node& node = args.node;
  if (const auto* gelu = std::get_if<GeluAttrs>(&node.attrs); gelu != nullptr && gelu->tanh_approximation) {
    for (int64_t i = 0; i < count; ++i) args.output[i] = gelu_tanh(args.inputs[0][i]);
    return Status::ok();
  }
  Activation act = activation_of(node.kind);
  float alpha = 0.0f;
  if (const auto* leaky = std::get_if<LeakyReluAttrs>(&node.attrs)) alpha = leaky->negative_slope;
  // prelu: slope per channel (axis 1) or one slope.
  const std::vector<float>* slope = node.kind == OpKind::kPrelu ? &args.constants[0] : nullptr;
  const int64_t channels = shape.size() >= 2 ? shape[1] : 1;
  const int64_t inner = channels > 0 ? count / (shape.empty() ? 1 : shape[0]) / channels : 1;
  for (int64_t i = 0; i < count; ++i) {
    if (slope != nullptr) {
      alpha = slope->size() == 1 ? (*slope)[0] : (*slope)[static_cast<size_t>((i / inner) % channels)];
    }
    args.output[i] = apply_activation(act, args.inputs[0][i], alpha);
  }
  return Status::ok();
}

Status binary(const KernelArgs& args) {
  BroadcastIndex index_a(args.input_shapes[0], args.output_shape);
  BroadcastIndex index_b(args.input_shapes[1], args.output_shape);
  const int64_t count = shape_numel(args.output_shape);
  const bool is_add = args.node.kind == OpKind::kAdd;
  for (int64_t i = 0; i < count; ++i) {
    float a = args.inputs[0][index_a(i)];
    float b = args.inputs[1][index_b(i)];
    args.output[i] = is_add ? a + b : a * b;
  }
  return Status::ok();
}

Status scale(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const ScaleAttrs* a, attrs_of<ScaleAttrs>(args.node));
  const int64_t count = shape_numel(args.output_shape);
  for (int64_t i = 0; i < count; ++i) args.output[i] = args.inputs[0][i] * a->scale + a->shift;
  return Status::ok();
}

}  // namespace upres::engine::reference
