// Shape rules of the dense ops (linear, matmul, norms) and the shared argument checks.
#include <algorithm>
#include <string>

#include "engine/shape_rules.h"

namespace upres::engine {

Status check_channel_vector(const std::vector<Tensor>& constants, size_t index, const Shape& x,
                            const std::string& what, bool allow_scalar, bool optional) {
  if (index >= constants.size() || !constants[index].is_defined()) {
    if (optional) return Status::ok();
    return invalid_argument(what + " is missing");
  }
  if (x.size() < 2) return invalid_argument(what + ": input " + shape_to_string(x) + " has no channel axis");
  const Shape& shape = constants[index].shape();
  bool ok = shape == Shape{x[1]} || (allow_scalar && shape == Shape{1});
  if (!ok) {
    return invalid_argument(what + " " + shape_to_string(shape) + " must be [" + std::to_string(x[1]) + "]" +
                            (allow_scalar ? " or [1]" : ""));
  }
  return Status::ok();
}

SliceRange resolve_slice(const SliceAttrs& attrs, int64_t dim) {
  auto clamp = [dim](int64_t v) { return std::clamp(v < 0 ? v + dim : v, int64_t{0}, dim); };
  return SliceRange{clamp(attrs.start), clamp(attrs.end)};
}

Result<Shape> infer_linear(const Node& node, const std::vector<Shape>& inputs) {
  if (inputs.size() != 1 || inputs[0].empty()) return invalid_argument("expects one input of rank >= 1");
  if (node.constants.size() != 2 || !node.constants[0].is_defined() || node.constants[0].rank() != 2) {
    return invalid_argument("weight must be [out, in]");
  }
  const Shape& w = node.constants[0].shape();
  if (inputs[0].back() != w[1]) {
    return invalid_argument("weight " + shape_to_string(w) + " does not fit input " + shape_to_string(inputs[0]));
  }
  const Tensor& bias = node.constants[1];
  if (bias.is_defined() && bias.shape() != Shape{w[0]}) {
    return invalid_argument("bias " + shape_to_string(bias.shape()) + " must be [" + std::to_string(w[0]) + "]");
  }
  Shape out = inputs[0];
  out.back() = w[0];
  return out;
}

Result<Shape> infer_matmul(const Node& node, const std::vector<Shape>& inputs) {
  if (inputs.size() != 2 || inputs[0].size() < 2 || inputs[1].size() < 2) {
    return invalid_argument("expects two inputs of rank >= 2");
  }
  const Shape& a = inputs[0];
  const Shape& b = inputs[1];
  if (a.back() != b[b.size() - 2]) {
    return invalid_argument("inner dims of " + shape_to_string(a) + " and " + shape_to_string(b) + " differ");
  }
  Shape batch_a(a.begin(), a.end() - 2);
  Shape batch_b(b.begin(), b.end() - 2);
  UPRES_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(batch_a, batch_b));
  out.push_back(a[a.size() - 2]);
  out.push_back(b.back());
  return out;
}

namespace {

Result<Shape> infer_layer_norm(const Node& node, const Shape& x) {
  UPRES_ASSIGN_OR_RETURN(const LayerNormAttrs* a, attrs_of<LayerNormAttrs>(node));
  if (a->normalized_dims < 1 || a->normalized_dims > static_cast<int>(x.size())) {
    return invalid_argument("normalized_dims " + std::to_string(a->normalized_dims) + " out of range");
  }
  Shape normalized(x.end() - a->normalized_dims, x.end());
  for (size_t i = 0; i < 2 && i < node.constants.size(); ++i) {
    const Tensor& t = node.constants[i];
    if (t.is_defined() && t.shape() != normalized) {
      return invalid_argument(std::string(i == 0 ? "weight " : "bias ") + shape_to_string(t.shape()) +
                              " must be " + shape_to_string(normalized));
    }
  }
  if (!(a->eps >= 0.0f)) return invalid_argument("eps must be >= 0");
  return x;
}

Result<Shape> infer_group_norm(const Node& node, const Shape& x) {
  UPRES_ASSIGN_OR_RETURN(const GroupNormAttrs* a, attrs_of<GroupNormAttrs>(node));
  if (x.size() < 2) return invalid_argument("input " + shape_to_string(x) + " has no channel axis");
  if (a->groups < 1 || x[1] % a->groups != 0) {
    return invalid_argument("channels " + std::to_string(x[1]) + " not divisible by groups " + std::to_string(a->groups));
  }
  UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 0, x, "weight", false, true));
  UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 1, x, "bias", false, true));
  return x;
}

Result<Shape> infer_batch_norm(const Node& node, const Shape& x) {
  UPRES_ASSIGN_OR_RETURN(const BatchNormAttrs* a, attrs_of<BatchNormAttrs>(node));
  if (node.constants.size() != 4) return invalid_argument("needs weight, bias, running_mean, running_var");
  UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 0, x, "weight", false, true));
  UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 1, x, "bias", false, true));
  UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 2, x, "running_mean", false));
  UPRES_RETURN_IF_ERROR(check_channel_vector(node.constants, 3, x, "running_var", false));
  if (!(a->eps >= 0.0f)) return invalid_argument("eps must be >= 0");
  return x;
}

}  // namespace

Result<Shape> infer_norm(const Node& node, const std::vector<Shape>& inputs) {
  if (inputs.size() != 1) return invalid_argument("expects one input");
  if (node.kind == OpKind::kLayerNorm) {
    if (node.constants.size() != 2) return invalid_argument("needs weight and bias slots");
    return infer_layer_norm(node, inputs[0]);
  }
  if (node.kind == OpKind::kGroupNorm) {
    if (node.constants.size() != 2) return invalid_argument("needs weight and bias slots");
    return infer_group_norm(node, inputs[0]);
  }
  return infer_batch_norm(node, inputs[0]);
}

}  // namespace upres::engine
