// infer_shape: the single place where every op's shape rule and argument checks live.
// Rules follow PyTorch's; errors name the offending field and shapes.
#include <algorithm>
#include <string>

#include "engine/graph.h"
#include "engine/shape_rules.h"

namespace upres::engine {
namespace {

Status check_inputs(const std::vector<Shape>& inputs, size_t count) {
  if (inputs.size() != count) {
    return invalid_argument("expects " + std::to_string(count) + " inputs, got " +
                            std::to_string(inputs.size()));
  }
  return Status::ok();
}

Result<Shape> infer_constant(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 0));
  if (node.constants.size() != 1 || !node.constants[0].is_defined()) {
    return invalid_argument("constant needs one defined tensor");
  }
  return node.constants[0].shape();
}

Result<Shape> infer_unary(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  if (node.kind == OpKind::kPrelu) {
    UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 0, inputs[0], "prelu slope", true));
  }
  return inputs[0];
}

Result<Shape> infer_binary(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 2));
  return broadcast_shapes(inputs[0], inputs[1]);
}

Result<Shape> infer_concat(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const ConcatAttrs* attrs, attrs_of<ConcatAttrs>(node));
  if (inputs.empty()) return invalid_argument("concat of no inputs");
  int rank = static_cast<int>(inputs[0].size());
  int axis = normalize_axis(attrs->axis, rank);
  if (axis < 0) return invalid_argument("concat axis " + std::to_string(attrs->axis) + " out of range");
  Shape out = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) {
    bool same = inputs[i].size() == inputs[0].size();
    for (int d = 0; same && d < rank; ++d) same = d == axis || inputs[i][d] == inputs[0][d];
    if (!same) {
      return invalid_argument("concat input " + std::to_string(i) + " " + shape_to_string(inputs[i]) +
                              " does not match " + shape_to_string(inputs[0]));
    }
    out[axis] += inputs[i][axis];
  }
  return out;
}

Result<Shape> infer_slice(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const SliceAttrs* attrs, attrs_of<SliceAttrs>(node));
  int axis = normalize_axis(attrs->axis, static_cast<int>(inputs[0].size()));
  if (axis < 0) return invalid_argument("slice axis " + std::to_string(attrs->axis) + " out of range");
  SliceRange range = resolve_slice(*attrs, inputs[0][axis]);
  if (range.end <= range.start) {
    return invalid_argument("slice [" + std::to_string(attrs->start) + ", " + std::to_string(attrs->end) +
                            ") of dim " + std::to_string(inputs[0][axis]) + " is empty");
  }
  Shape out = inputs[0];
  out[axis] = range.end - range.start;
  return out;
}

Result<Shape> infer_permute(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const PermuteAttrs* attrs, attrs_of<PermuteAttrs>(node));
  int rank = static_cast<int>(inputs[0].size());
  if (static_cast<int>(attrs->dims.size()) != rank) return invalid_argument("permute dims count != rank");
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  Shape out(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    int d = normalize_axis(attrs->dims[static_cast<size_t>(i)], rank);
    if (d < 0 || seen[static_cast<size_t>(d)]) return invalid_argument("permute dims are not a permutation");
    seen[static_cast<size_t>(d)] = true;
    out[static_cast<size_t>(i)] = inputs[0][static_cast<size_t>(d)];
  }
  return out;
}

Result<Shape> infer_reshape(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const ReshapeAttrs* attrs, attrs_of<ReshapeAttrs>(node));
  Shape out = attrs->shape;
  int64_t known = 1;
  int wildcard = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1 && wildcard < 0) {
      wildcard = static_cast<int>(i);
    } else if (out[i] <= 0) {
      return invalid_argument("reshape target " + shape_to_string(out) + ": dims must be > 0, one -1");
    } else {
      known *= out[i];
    }
  }
  int64_t numel = shape_numel(inputs[0]);
  if (wildcard >= 0 && numel % known == 0) out[static_cast<size_t>(wildcard)] = numel / known;
  if (shape_numel(out) != numel) {
    return invalid_argument("reshape " + shape_to_string(inputs[0]) + " to " + shape_to_string(attrs->shape));
  }
  return out;
}

Result<Shape> infer_softmax(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const SoftmaxAttrs* attrs, attrs_of<SoftmaxAttrs>(node));
  if (normalize_axis(attrs->axis, static_cast<int>(inputs[0].size())) < 0) {
    return invalid_argument("softmax axis " + std::to_string(attrs->axis) + " out of range");
  }
  return inputs[0];
}

Result<Shape> infer_l2_normalize(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const L2NormalizeAttrs* attrs, attrs_of<L2NormalizeAttrs>(node));
  if (inputs[0].empty()) return invalid_argument("l2_normalize needs a rank >= 1 input");
  if (!(attrs->eps > 0.0f)) return invalid_argument("l2_normalize eps must be > 0");
  return inputs[0];
}

Result<Shape> infer_unary_math(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const UnaryAttrs* attrs, attrs_of<UnaryAttrs>(node));
  if (attrs->op == UnaryOp::kClip && !(attrs->lo <= attrs->hi)) {
    return invalid_argument("clip bounds [" + std::to_string(attrs->lo) + ", " + std::to_string(attrs->hi) +
                            "] are empty");
  }
  return inputs[0];
}

Result<Shape> infer_binary_math(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 2));
  UPRES_RETURN_IF_ERROR(attrs_of<BinaryAttrs>(node).status());
  return broadcast_shapes(inputs[0], inputs[1]);
}

Result<Shape> infer_reduce(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const ReduceAttrs* attrs, attrs_of<ReduceAttrs>(node));
  const Shape& in = inputs[0];
  const int rank = static_cast<int>(in.size());
  if (rank == 0) return invalid_argument("reduce needs a rank >= 1 input");
  UPRES_ASSIGN_OR_RETURN(std::vector<bool> reduced, reduced_axes(*attrs, rank));
  Shape out;
  for (int d = 0; d < rank; ++d) {
    if (reduced[static_cast<size_t>(d)] && in[static_cast<size_t>(d)] == 0) {
      return invalid_argument("reduce over axis " + std::to_string(d) + " of size 0 in " + shape_to_string(in));
    }
    if (!reduced[static_cast<size_t>(d)]) {
      out.push_back(in[static_cast<size_t>(d)]);
    } else if (attrs->keepdims) {
      out.push_back(1);
    }
  }
  if (out.empty()) out.push_back(1);
  return out;
}

// Spectral ops: 4-D only (LaMa's FourierUnit), real/imag interleaved per channel.
Result<Shape> infer_rfft2(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  const Shape& in = inputs[0];
  if (in.size() != 4) return invalid_argument("rfft2 needs [N, C, H, W], got " + shape_to_string(in));
  return Shape{in[0], 2 * in[1], in[2], in[3] / 2 + 1};
}

Result<Shape> infer_irfft2(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_inputs(inputs, 1));
  UPRES_ASSIGN_OR_RETURN(const Irfft2Attrs* attrs, attrs_of<Irfft2Attrs>(node));
  const Shape& in = inputs[0];
  if (in.size() != 4 || in[1] % 2 != 0) {
    return invalid_argument("irfft2 needs [N, 2C, H, W/2+1] (real/imag pairs), got " + shape_to_string(in));
  }
  if (attrs->width <= 0 || attrs->width / 2 + 1 != in[3]) {
    return invalid_argument("irfft2 width " + std::to_string(attrs->width) + " does not match " +
                            std::to_string(in[3]) + " frequency columns");
  }
  return Shape{in[0], in[1] / 2, in[2], attrs->width};
}

}  // namespace

Result<std::vector<bool>> reduced_axes(const ReduceAttrs& attrs, int rank) {
  std::vector<bool> reduced(static_cast<size_t>(rank), attrs.axes.empty());
  for (int axis : attrs.axes) {
    const int d = normalize_axis(axis, rank);
    if (d < 0) return invalid_argument("reduce axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
    if (reduced[static_cast<size_t>(d)]) return invalid_argument("reduce axis " + std::to_string(axis) + " given twice");
    reduced[static_cast<size_t>(d)] = true;
  }
  return reduced;
}

Result<Shape> infer_shape(const Node& node, const std::vector<Shape>& inputs) {
  switch (node.kind) {
    case OpKind::kConstant: return infer_constant(node, inputs);
    case OpKind::kConv2d: return infer_conv2d(node, inputs);
    case OpKind::kConvTranspose2d: return infer_conv_transpose2d(node, inputs);
    case OpKind::kRelu: case OpKind::kLeakyRelu: case OpKind::kPrelu: case OpKind::kSigmoid:
    case OpKind::kTanh: case OpKind::kGelu: case OpKind::kSilu: case OpKind::kMish: case OpKind::kScale:
      return infer_unary(node, inputs);
    case OpKind::kAdd: case OpKind::kMul: return infer_binary(node, inputs);
    case OpKind::kConcat: return infer_concat(node, inputs);
    case OpKind::kSlice: return infer_slice(node, inputs);
    case OpKind::kResize: return infer_resize(node, inputs);
    case OpKind::kPixelShuffle: case OpKind::kPixelUnshuffle: return infer_pixel_shuffle(node, inputs);
    case OpKind::kPad: return infer_pad(node, inputs);
    case OpKind::kPermute: return infer_permute(node, inputs);
    case OpKind::kReshape: return infer_reshape(node, inputs);
    case OpKind::kAvgPool2d: case OpKind::kMaxPool2d: return infer_pool2d(node, inputs);
    case OpKind::kGlobalAvgPool: return infer_global_avg_pool(node, inputs);
    case OpKind::kLinear: return infer_linear(node, inputs);
    case OpKind::kMatmul: return infer_matmul(node, inputs);
    case OpKind::kLayerNorm: case OpKind::kGroupNorm: case OpKind::kBatchNorm:
      return infer_norm(node, inputs);
    case OpKind::kSoftmax: return infer_softmax(node, inputs);
    case OpKind::kL2Normalize: return infer_l2_normalize(node, inputs);
    case OpKind::kRfft2: return infer_rfft2(node, inputs);
    case OpKind::kIrfft2: return infer_irfft2(node, inputs);
    case OpKind::kUnary: return infer_unary_math(node, inputs);
    case OpKind::kBinary: return infer_binary_math(node, inputs);
    case OpKind::kReduce: return infer_reduce(node, inputs);
  }
  return internal_error("unknown op kind " + std::to_string(static_cast<int>(node.kind)));
}

}  // namespace upres::engine
