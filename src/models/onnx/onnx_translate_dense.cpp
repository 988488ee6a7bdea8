// OnnxGraphTranslator: convolutions, PRelu, MatMul/Gemm, LayerNormalization, Softmax, Reduce*.
#include <algorithm>

#include "models/onnx/onnx_graph_translator.h"
#include "models/onnx/onnx_host_ops.h"

namespace upres::models {
namespace {

// Two values from a 2-D attribute, or `fallback` for both when absent.
Result<engine::Int2> pair_attr(const weights::OnnxNode& node, const char* name, int fallback) {
  std::vector<int64_t> v = onnx_ints_attr(node, name);
  if (v.empty()) return engine::Int2(fallback);
  if (v.size() != 2 || v[0] < 0 || v[1] < 0 || v[0] > (1 << 16) || v[1] > (1 << 16)) {
    return unsupported("attribute " + std::string(name) + " must hold two small values (2-D ops only)");
  }
  return engine::Int2(static_cast<int>(v[0]), static_cast<int>(v[1]));
}

// Transposes a 2-D fp32 tensor.
Result<engine::Tensor> transposed(const engine::Tensor& t) {
  const int64_t rows = t.dim(0), cols = t.dim(1);
  std::vector<float> src = t.to_f32(), dst(src.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[static_cast<size_t>(c * rows + r)] = src[static_cast<size_t>(r * cols + c)];
  }
  return engine::Tensor::from_f32(dst, {cols, rows});
}

}  // namespace

Status OnnxGraphTranslator::conv(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor w, weight_input(node, 1));
  if (w.rank() != 4) return unsupported("only 2-D convolutions (weight " + engine::shape_to_string(w.shape()) + ")");
  engine::Tensor b;
  if (has_input(node, 2)) {
    UPRES_ASSIGN_OR_RETURN(b, weight_input(node, 2));
  }
  engine::Conv2dAttrs attrs;
  UPRES_ASSIGN_OR_RETURN(attrs.stride, pair_attr(node, "strides", 1));
  UPRES_ASSIGN_OR_RETURN(attrs.dilation, pair_attr(node, "dilations", 1));
  const int64_t groups = onnx_int_attr(node, "group", 1);
  if (groups < 1 || groups > w.dim(0)) return invalid_argument("group " + std::to_string(groups));
  attrs.groups = static_cast<int>(groups);
  std::vector<int64_t> pads = onnx_ints_attr(node, "pads");
  if (pads.empty()) pads.assign(4, 0);
  if (pads.size() != 4) return unsupported("pads must have 4 values");
  const std::string auto_pad = onnx_string_attr(node, "auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const engine::Shape& s = graph_.shape(x);
    const int64_t stride[2] = {attrs.stride.h, attrs.stride.w}, dil[2] = {attrs.dilation.h, attrs.dilation.w};
    for (int d = 0; d < 2; ++d) {
      const int64_t in = s.size() == 4 ? s[2 + static_cast<size_t>(d)] : 0;
      const int64_t k = (w.dim(2 + d) - 1) * dil[d] + 1;
      const int64_t total = std::max<int64_t>(0, ((in + stride[d] - 1) / stride[d] - 1) * stride[d] + k - in);
      const int64_t small = total / 2;
      pads[static_cast<size_t>(d)] = auto_pad == "SAME_UPPER" ? small : total - small;
      pads[static_cast<size_t>(d) + 2] = total - pads[static_cast<size_t>(d)];
    }
  } else if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    return unsupported("auto_pad " + auto_pad);
  }
  for (int64_t p : pads) {
    if (p < 0 || p > (1 << 16)) return unsupported("pads must be small and non-negative");
  }
  if (pads[0] == pads[2] && pads[1] == pads[3]) {
    attrs.padding = engine::Int2(static_cast<int>(pads[0]), static_cast<int>(pads[1]));
  } else {
    x = graph_.pad(x, {.left = static_cast<int>(pads[1]), .right = static_cast<int>(pads[3]),
                       .top = static_cast<int>(pads[0]), .bottom = static_cast<int>(pads[2])});
  }
  return set_value(node, graph_.conv2d(x, w, b, attrs));
}

Status OnnxGraphTranslator::conv_transpose(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor w, weight_input(node, 1));
  if (w.rank() != 4) return unsupported("only 2-D transposed convolutions");
  engine::Tensor b;
  if (has_input(node, 2)) {
    UPRES_ASSIGN_OR_RETURN(b, weight_input(node, 2));
  }
  if (node.attribute("output_shape") != nullptr) return unsupported("attribute output_shape");
  const std::string auto_pad = onnx_string_attr(node, "auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID") return unsupported("auto_pad " + auto_pad);
  engine::ConvTranspose2dAttrs attrs;
  UPRES_ASSIGN_OR_RETURN(attrs.stride, pair_attr(node, "strides", 1));
  UPRES_ASSIGN_OR_RETURN(attrs.dilation, pair_attr(node, "dilations", 1));
  UPRES_ASSIGN_OR_RETURN(attrs.output_padding, pair_attr(node, "output_padding", 0));
  const int64_t groups = onnx_int_attr(node, "group", 1);
  if (groups < 1 || groups > w.dim(0)) return invalid_argument("group " + std::to_string(groups));
  attrs.groups = static_cast<int>(groups);
  std::vector<int64_t> pads = onnx_ints_attr(node, "pads");
  if (pads.empty()) pads.assign(4, 0);
  if (pads.size() != 4 || pads[0] != pads[2] || pads[1] != pads[3] || pads[0] < 0 || pads[1] < 0 ||
      pads[0] > (1 << 16) || pads[1] > (1 << 16)) {
    return unsupported("asymmetric or negative pads");
  }
  attrs.padding = engine::Int2(static_cast<int>(pads[0]), static_cast<int>(pads[1]));
  return set_value(node, graph_.conv_transpose2d(x, w, b, attrs));
}

Status OnnxGraphTranslator::prelu(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor slope, weight_input(node, 1));
  const engine::Shape& s = graph_.shape(x);
  const int64_t n = slope.numel();
  if (n != 1 && (s.size() < 2 || n != s[1])) {
    return unsupported("PRelu slope " + engine::shape_to_string(slope.shape()) + " is neither one value nor per channel");
  }
  UPRES_ASSIGN_OR_RETURN(engine::Tensor flat, slope.reshaped({n}));
  return set_value(node, graph_.prelu(x, flat));
}

Status OnnxGraphTranslator::matmul(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* b, operand(node, 1));
  UPRES_ASSIGN_OR_RETURN(engine::Value a, runtime_input(node, 0));
  const bool constant_2d = !b->is_runtime() && ((b->weight.is_defined() && b->weight.rank() == 2) ||
                                                 (b->has_host && b->host.is_float && b->host.dims.size() == 2));
  if (constant_2d) {
    UPRES_ASSIGN_OR_RETURN(engine::Tensor k_by_n, weight_input(node, 1));
    UPRES_ASSIGN_OR_RETURN(engine::Tensor w, transposed(k_by_n));  // [K, N] -> Linear's [N, K]
    return set_value(node, graph_.linear(a, w));
  }
  UPRES_ASSIGN_OR_RETURN(engine::Value vb, runtime_input(node, 1));
  return set_value(node, graph_.matmul(a, vb));
}

Status OnnxGraphTranslator::gemm(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value a, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor w, weight_input(node, 1));
  if (onnx_int_attr(node, "transA", 0) != 0) return unsupported("transA");
  if (w.rank() != 2) return unsupported("B must be 2-D");
  if (onnx_int_attr(node, "transB", 0) == 0) {
    UPRES_ASSIGN_OR_RETURN(w, transposed(w));
  }
  const float alpha = onnx_float_attr(node, "alpha", 1.0f), beta = onnx_float_attr(node, "beta", 1.0f);
  std::vector<float> wv = w.to_f32();
  for (float& v : wv) v *= alpha;
  UPRES_ASSIGN_OR_RETURN(w, engine::Tensor::from_f32(wv, w.shape()));
  engine::Tensor bias;
  if (has_input(node, 2)) {
    UPRES_ASSIGN_OR_RETURN(engine::Tensor c, weight_input(node, 2));
    const int64_t n = w.dim(0);
    std::vector<float> cv = c.to_f32(), bv(static_cast<size_t>(n));
    if (c.numel() != 1 && c.numel() != n) return unsupported("C must broadcast per output feature");
    for (int64_t i = 0; i < n; ++i) bv[static_cast<size_t>(i)] = beta * cv[c.numel() == 1 ? 0 : static_cast<size_t>(i)];
    UPRES_ASSIGN_OR_RETURN(bias, engine::Tensor::from_f32(bv, {n}));
  }
  return set_value(node, graph_.linear(a, w, bias));
}

Status OnnxGraphTranslator::layer_norm(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const auto rank = static_cast<int64_t>(graph_.shape(x).size());
  int64_t axis = onnx_int_attr(node, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return invalid_argument("axis out of range");
  engine::Tensor scale, bias;
  if (has_input(node, 1)) {
    UPRES_ASSIGN_OR_RETURN(scale, weight_input(node, 1));
  }
  if (has_input(node, 2)) {
    UPRES_ASSIGN_OR_RETURN(bias, weight_input(node, 2));
  }
  engine::Shape normalized(graph_.shape(x).begin() + axis, graph_.shape(x).end());
  if (scale.is_defined() && scale.numel() == engine::shape_numel(normalized)) {
    UPRES_ASSIGN_OR_RETURN(scale, scale.reshaped(normalized));
  }
  if (bias.is_defined() && bias.numel() == engine::shape_numel(normalized)) {
    UPRES_ASSIGN_OR_RETURN(bias, bias.reshaped(normalized));
  }
  return set_value(node, graph_.layer_norm(x, scale, bias,
                                           {.normalized_dims = static_cast<int>(rank - axis),
                                            .eps = onnx_float_attr(node, "epsilon", 1e-5f)}));
}

Status OnnxGraphTranslator::softmax(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const auto rank = static_cast<int>(graph_.shape(x).size());
  int axis = static_cast<int>(onnx_int_attr(node, "axis", onnx_.opset >= 13 ? -1 : 1));
  if (axis < 0) axis += rank;
  if (onnx_.opset < 13 && axis != rank - 1) return unsupported("Softmax before opset 13 over a non-last axis");
  return set_value(node, graph_.softmax(x, axis));
}

Status OnnxGraphTranslator::normalization(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor scale, weight_input(node, 1));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor bias, weight_input(node, 2));
  const float eps = onnx_float_attr(node, "epsilon", 1e-5f);
  const engine::Shape& s = graph_.shape(x);
  if (s.size() != 4) return unsupported("normalization of a tensor that is not [N, C, H, W]");
  if (node.op_type == "InstanceNormalization") {  // GroupNorm with one channel per group
    return set_value(node, graph_.group_norm(x, scale, bias, {.groups = static_cast<int>(s[1]), .eps = eps}));
  }
  if (onnx_int_attr(node, "training_mode", 0) != 0) return unsupported("BatchNormalization in training mode");
  UPRES_ASSIGN_OR_RETURN(engine::Tensor mean, weight_input(node, 3));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor var, weight_input(node, 4));
  return set_value(node, graph_.batch_norm(x, scale, bias, mean, var, {.eps = eps}));
}

Status OnnxGraphTranslator::pool(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  if (node.op_type == "GlobalAveragePool") return set_value(node, graph_.global_avg_pool(x));
  engine::Pool2dAttrs attrs;
  std::vector<int64_t> kernel = onnx_ints_attr(node, "kernel_shape");
  if (kernel.size() != 2 || kernel[0] < 1 || kernel[1] < 1 || kernel[0] > 4096 || kernel[1] > 4096) {
    return unsupported("only 2-D pooling");
  }
  attrs.kernel = engine::Int2(static_cast<int>(kernel[0]), static_cast<int>(kernel[1]));
  UPRES_ASSIGN_OR_RETURN(attrs.stride, pair_attr(node, "strides", 1));
  UPRES_ASSIGN_OR_RETURN(engine::Int2 dilation, pair_attr(node, "dilations", 1));
  if (dilation != engine::Int2(1)) return unsupported("dilated pooling");
  const std::string auto_pad = onnx_string_attr(node, "auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID") return unsupported("auto_pad " + auto_pad);
  std::vector<int64_t> pads = onnx_ints_attr(node, "pads");
  if (pads.empty()) pads.assign(4, 0);
  if (pads.size() != 4 || pads[0] != pads[2] || pads[1] != pads[3] || pads[0] < 0 || pads[1] < 0 ||
      pads[0] > 4096 || pads[1] > 4096) {
    return unsupported("asymmetric or negative pads");
  }
  attrs.padding = engine::Int2(static_cast<int>(pads[0]), static_cast<int>(pads[1]));
  attrs.ceil_mode = onnx_int_attr(node, "ceil_mode", 0) != 0;
  if (node.op_type == "MaxPool") return set_value(node, graph_.max_pool2d(x, attrs));
  attrs.count_include_pad = onnx_int_attr(node, "count_include_pad", 0) != 0;
  return set_value(node, graph_.avg_pool2d(x, attrs));
}

// ReduceMean / Sum / Max / Min / L2 / SumSquare: axes from the attribute or (ReduceSum from
// opset 13, the others from 18) input 1; no axes = every axis unless noop_with_empty_axes. Mean
// over H, W of [N, C, H, W] stays a global average pool (oneDNN pooling in the blocked layout).
Status OnnxGraphTranslator::reduce(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const engine::Shape in = graph_.shape(x);
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes = onnx_ints_attr(node, "axes");
  if (has_input(node, 1)) {
    UPRES_ASSIGN_OR_RETURN(axes, host_ints_input(node, 1));
  }
  if (axes.empty() && onnx_int_attr(node, "noop_with_empty_axes", 0) != 0) return set_value(node, x);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) {
      return invalid_argument(node.op_type + " axis " + std::to_string(a) + " out of range for the rank " +
                              std::to_string(rank) + " input " + engine::shape_to_string(in));
    }
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    return invalid_argument(node.op_type + " names an axis twice");
  }
  const bool keepdims = onnx_int_attr(node, "keepdims", 1) != 0;
  if (node.op_type == "ReduceMean" && rank == 4 && axes == std::vector<int64_t>{2, 3}) {
    engine::Value y = graph_.global_avg_pool(x);
    return set_value(node, keepdims ? y : graph_.reshape(y, {in[0], in[1]}));
  }
  static const std::pair<const char*, engine::ReduceOp> kOps[] = {
      {"ReduceMean", engine::ReduceOp::kMean}, {"ReduceSum", engine::ReduceOp::kSum},
      {"ReduceMax", engine::ReduceOp::kMax},   {"ReduceMin", engine::ReduceOp::kMin},
      {"ReduceL2", engine::ReduceOp::kL2},     {"ReduceSumSquare", engine::ReduceOp::kSumSquare}};
  engine::ReduceAttrs attrs{.axes = std::vector<int>(axes.begin(), axes.end()), .keepdims = keepdims};
  for (const auto& [name, op] : kOps) {
    if (node.op_type == name) attrs.op = op;
  }
  const bool to_scalar = !keepdims && (axes.empty() || static_cast<int64_t>(axes.size()) == rank);
  UPRES_RETURN_IF_ERROR(set_value(node, graph_.reduce(x, std::move(attrs))));
  if (to_scalar) values_[node.outputs[0]].scalar = true;
  return Status::ok();
}

}  // namespace upres::models
