// The cpu backend's kernel table: which op lowers to which oneDNN primitive or native host
// kernel, and which take the reference fallback (lower_fallback.cpp).
#include "engine/cpu/lowering.h"

#include <string>

namespace upres::engine::cpu {

bool runs_on_onednn(const Node& node) {
  switch (node.kind) {
    case OpKind::kConv2d: case OpKind::kConvTranspose2d:
    case OpKind::kRelu: case OpKind::kLeakyRelu: case OpKind::kPrelu: case OpKind::kSigmoid:
    case OpKind::kTanh: case OpKind::kGelu: case OpKind::kSilu: case OpKind::kMish: case OpKind::kScale:
    case OpKind::kAdd: case OpKind::kMul:
    case OpKind::kConcat: case OpKind::kSlice:
    case OpKind::kAvgPool2d: case OpKind::kMaxPool2d: case OpKind::kGlobalAvgPool:
    case OpKind::kLinear: case OpKind::kMatmul: case OpKind::kSoftmax:
    case OpKind::kLayerNorm: case OpKind::kReshape: case OpKind::kPermute: case OpKind::kConstant:
    case OpKind::kBinary:
      return true;
    case OpKind::kUnary: return std::get<UnaryAttrs>(node.attrs).op != UnaryOp::kErf;
    default:
      return false;
  }
}

bool runs_natively(const Graph& graph, const Node& node) {
  if (node.kind == OpKind::kL2Normalize || node.kind == OpKind::kRfft2 || node.kind == OpKind::kIrfft2) return true;
  // reduce: oneDNN's reduction or a native step (lower_reduce.cpp); erf: a native step (lower_unary.cpp).
  if (node.kind == OpKind::kReduce) return true;
  if (node.kind == OpKind::kUnary) return std::get<UnaryAttrs>(node.attrs).op == UnaryOp::kErf;
  const bool native_kind = node.kind == OpKind::kResize || node.kind == OpKind::kPad || node.kind == OpKind::kGroupNorm ||
                           node.kind == OpKind::kPixelShuffle || node.kind == OpKind::kPixelUnshuffle;
  return native_kind && graph.shape(node.inputs[0]).size() == 4;
}

Status lower_node(ExecutionPlan& plan, const Node& node) {
  plan.begin_node(std::string(op_kind_name(node.kind)) + " '" + node.name + "'");
  const bool pool_dense = node.kind == OpKind::kAvgPool2d || node.kind == OpKind::kMaxPool2d ||
                          node.kind == OpKind::kGlobalAvgPool || node.kind == OpKind::kLinear ||
                          node.kind == OpKind::kMatmul || node.kind == OpKind::kSoftmax;
  const bool native = runs_natively(plan.graph(), node);
  if (!native && (!runs_on_onednn(node) ||
      (pool_dense && !pool_dense_runs_on_onednn(plan.graph(), node)))) {
    return lower_fallback(plan, node);
  }
  try {
    switch (node.kind) {
      case OpKind::kConv2d: case OpKind::kConvTranspose2d: return lower_conv(plan, node);
      case OpKind::kAdd: case OpKind::kMul: case OpKind::kBinary: return lower_binary(plan, node);
      case OpKind::kUnary: return lower_unary(plan, node);
      case OpKind::kReduce: return lower_reduce(plan, node);
      case OpKind::kConcat: return lower_concat(plan, node);
      case OpKind::kSlice: return lower_slice(plan, node);
      case OpKind::kAvgPool2d: case OpKind::kMaxPool2d: case OpKind::kGlobalAvgPool:
      case OpKind::kLinear: case OpKind::kMatmul: case OpKind::kSoftmax:
        return lower_pool_dense(plan, node);
      case OpKind::kLayerNorm: return lower_layer_norm(plan, node);
      case OpKind::kReshape: return lower_reshape(plan, node);
      case OpKind::kPermute: return lower_permute(plan, node);
      case OpKind::kConstant: return lower_constant(plan, node);
      case OpKind::kResize: case OpKind::kPad: return lower_resize_pad(plan, node);
      case OpKind::kGroupNorm: return lower_group_norm(plan, node);
      case OpKind::kL2Normalize: return lower_l2_normalize(plan, node);
      case OpKind::kRfft2: case OpKind::kIrfft2: return lower_spectral(plan, node);
      case OpKind::kPixelShuffle: case OpKind::kPixelUnshuffle: return lower_pixel_shuffle(plan, node);
      default: return lower_eltwise(plan, node);
    }
  } catch (const dnnl::error& e) {
    return unsupported("cpu: " + std::string(op_kind_name(node.kind)) + " '" + node.name + "': oneDNN: " + e.what());
  }
}

}  // namespace upres::engine::cpu
