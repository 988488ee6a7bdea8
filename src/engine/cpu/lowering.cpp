// The cpu backend's kernel table: which op lowers to which oneDNN primitive, and which take the
// reference fallback (lower_fallback.cpp).
#include "engine/cpu/lowering.h"

#include <string>

namespace upres::engine::cpu {

bool runs_on_onednn(const Node& node) {
  switch (node.kind) {
    case OpKind::kConv2d: return conv_runs_on_onednn(node);
    case OpKind::kConvTranspose2d:
    case OpKind::kRelu: case OpKind::kLeakyRelu: case OpKind::kPrelu: case OpKind::kSigmoid:
    case OpKind::kTanh: case OpKind::kGelu: case OpKind::kSilu: case OpKind::kScale:
    case OpKind::kAdd: case OpKind::kMul:
    case OpKind::kConcat: case OpKind::kSlice:
      return true;
    default:
      return false;
  }
}

Status lower_node(ExecutionPlan& plan, const Node& node) {
  plan.begin_node(std::string(op_kind_name(node.kind)) + " '" + node.name + "'");
  if (!runs_on_onednn(node) ||
      ((node.kind == OpKind::kAdd || node.kind == OpKind::kMul) && !binary_runs_on_onednn(plan.graph(), node))) {
    return lower_fallback(plan, node);
  }
  try {
    switch (node.kind) {
      case OpKind::kConv2d: case OpKind::kConvTranspose2d: return lower_conv(plan, node);
      case OpKind::kAdd: case OpKind::kMul: return lower_binary(plan, node);
      case OpKind::kConcat: return lower_concat(plan, node);
      case OpKind::kSlice: return lower_slice(plan, node);
      default: return lower_eltwise(plan, node);
    }
  } catch (const dnnl::error& e) {
    return unsupported("cpu: " + std::string(op_kind_name(node.kind)) + " '" + node.name + "': oneDNN: " + e.what());
  }
}

}  // namespace upres::engine::cpu
