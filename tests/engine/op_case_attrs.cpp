// JSON attributes of the fixture cases -> OpAttrs (the inverse of engine_ops.py's attrs dicts).
#include "op_case_attrs.h"

namespace upres::engine::testing {
namespace {

using nlohmann::json;

Int2 int2(const json& attrs, const char* key, int fallback) {
  if (!attrs.contains(key)) return Int2(fallback);
  return Int2(attrs[key][0].get<int>(), attrs[key][1].get<int>());
}

Activation activation_named(const std::string& name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "leaky_relu") return Activation::kLeakyRelu;
  if (name == "prelu") return Activation::kPrelu;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "tanh") return Activation::kTanh;
  if (name == "gelu") return Activation::kGelu;
  if (name == "silu") return Activation::kSilu;
  if (name == "mish") return Activation::kMish;
  return Activation::kNone;
}

Conv2dAttrs conv2d_attrs(const json& a) {
  Conv2dAttrs attrs{.stride = int2(a, "stride", 1), .padding = int2(a, "padding", 0),
                    .dilation = int2(a, "dilation", 1), .groups = a.value("groups", 1)};
  attrs.post.activation = activation_named(a.value("activation", std::string()));
  attrs.post.activation_alpha = a.value("alpha", 0.01f);
  attrs.post.has_residual = a.value("residual", false);
  attrs.post.residual_scale = a.value("residual_scale", 1.0f);
  attrs.post.activation_after_residual = a.value("activation_after_residual", false);
  return attrs;
}

ResizeAttrs resize_attrs(const json& a) {
  ResizeAttrs attrs;
  std::string mode = a.value("mode", std::string("nearest"));
  attrs.mode = mode == "bilinear" ? ResizeMode::kBilinear : mode == "bicubic" ? ResizeMode::kBicubic : ResizeMode::kNearest;
  if (a.contains("scale")) {
    attrs.scale_h = a["scale"][0].get<float>();
    attrs.scale_w = a["scale"][1].get<float>();
  } else {
    attrs.out_h = a["size"][0].get<int64_t>();
    attrs.out_w = a["size"][1].get<int64_t>();
  }
  attrs.align_corners = a.value("align_corners", false);
  return attrs;
}

PadAttrs pad_attrs(const json& a) {
  std::string mode = a.value("mode", std::string("zero"));
  return PadAttrs{a.value("left", 0), a.value("right", 0), a.value("top", 0), a.value("bottom", 0),
                  mode == "reflect" ? PadMode::kReflect : mode == "replicate" ? PadMode::kReplicate : PadMode::kZero,
                  a.value("value", 0.0f)};
}

Pool2dAttrs pool_attrs(const json& a) {
  return Pool2dAttrs{int2(a, "kernel", 2), int2(a, "stride", 0), int2(a, "padding", 0), a.value("ceil_mode", false),
                     a.value("count_include_pad", true)};
}

// kUnary / kBinary / kReduce: the function by name, as engine_ops.py writes it.
UnaryAttrs unary_attrs(const json& a) {
  static const std::pair<const char*, UnaryOp> kOps[] = {
      {"sqrt", UnaryOp::kSqrt}, {"exp", UnaryOp::kExp}, {"log", UnaryOp::kLog}, {"abs", UnaryOp::kAbs},
      {"erf", UnaryOp::kErf}, {"square", UnaryOp::kSquare}, {"reciprocal", UnaryOp::kReciprocal},
      {"pow", UnaryOp::kPow}, {"clip", UnaryOp::kClip}};
  UnaryAttrs attrs{.exponent = a.value("exponent", 1.0f), .lo = a.value("lo", 0.0f), .hi = a.value("hi", 0.0f)};
  for (const auto& [name, op] : kOps) {
    if (a.value("op", std::string()) == name) attrs.op = op;
  }
  return attrs;
}

BinaryAttrs binary_attrs(const json& a) {
  const std::string op = a.value("op", std::string());
  return BinaryAttrs{op == "div" ? BinaryOp::kDiv : op == "max" ? BinaryOp::kMax : op == "min" ? BinaryOp::kMin
                                                                                                   : BinaryOp::kSub};
}

ReduceAttrs reduce_attrs(const json& a) {
  static const std::pair<const char*, ReduceOp> kOps[] = {
      {"sum", ReduceOp::kSum}, {"mean", ReduceOp::kMean}, {"max", ReduceOp::kMax}, {"min", ReduceOp::kMin},
      {"l2", ReduceOp::kL2}, {"sum_square", ReduceOp::kSumSquare}};
  ReduceAttrs attrs{.axes = a.value("axes", std::vector<int>{}), .keepdims = a.value("keepdims", true)};
  for (const auto& [name, op] : kOps) {
    if (a.value("op", std::string()) == name) attrs.op = op;
  }
  return attrs;
}

}  // namespace

Result<OpAttrs> attrs_from_json(OpKind kind, const json& a) {
  switch (kind) {
    case OpKind::kConv2d: return OpAttrs{conv2d_attrs(a)};
    case OpKind::kConvTranspose2d:
      return OpAttrs{ConvTranspose2dAttrs{int2(a, "stride", 1), int2(a, "padding", 0), int2(a, "output_padding", 0),
                                          int2(a, "dilation", 1), a.value("groups", 1)}};
    case OpKind::kLeakyRelu: return OpAttrs{LeakyReluAttrs{a.value("negative_slope", 0.01f)}};
    case OpKind::kGelu: return OpAttrs{GeluAttrs{a.value("tanh_approximation", false)}};
    case OpKind::kScale: return OpAttrs{ScaleAttrs{a.value("scale", 1.0f), a.value("shift", 0.0f)}};
    case OpKind::kConcat: return OpAttrs{ConcatAttrs{a.value("axis", 1), false}};
    case OpKind::kSlice: return OpAttrs{SliceAttrs{a.value("axis", 1), a.value("start", int64_t{0}), a.value("end", int64_t{0})}};
    case OpKind::kResize: return OpAttrs{resize_attrs(a)};
    case OpKind::kPixelShuffle:
    case OpKind::kPixelUnshuffle:
      return OpAttrs{PixelShuffleAttrs{a.value("factor", 2), a.value("order", std::string()) == "depth_to_space"
                                                                 ? ShuffleOrder::kDepthToSpace : ShuffleOrder::kPytorch}};
    case OpKind::kPad: return OpAttrs{pad_attrs(a)};
    case OpKind::kAvgPool2d: case OpKind::kMaxPool2d: return OpAttrs{pool_attrs(a)};
    case OpKind::kLayerNorm: return OpAttrs{LayerNormAttrs{a.value("normalized_dims", 1), a.value("eps", 1e-5f)}};
    case OpKind::kGroupNorm: return OpAttrs{GroupNormAttrs{a.value("groups", 1), a.value("eps", 1e-5f)}};
    case OpKind::kBatchNorm: return OpAttrs{BatchNormAttrs{a.value("eps", 1e-5f)}};
    case OpKind::kSoftmax: return OpAttrs{SoftmaxAttrs{a.value("axis", -1)}};
    case OpKind::kL2Normalize: return OpAttrs{L2NormalizeAttrs{a.value("eps", 1e-12f)}};
    case OpKind::kPermute: return OpAttrs{PermuteAttrs{a["dims"].get<std::vector<int>>()}};
    case OpKind::kReshape: return OpAttrs{ReshapeAttrs{a["shape"].get<Shape>()}};
    case OpKind::kIrfft2: return OpAttrs{Irfft2Attrs{a.value("width", int64_t{0})}};
    case OpKind::kUnary: return OpAttrs{unary_attrs(a)};
    case OpKind::kBinary: return OpAttrs{binary_attrs(a)};
    case OpKind::kReduce: return OpAttrs{reduce_attrs(a)};
    default: return OpAttrs{};
  }
}

}  // namespace upres::engine::testing
