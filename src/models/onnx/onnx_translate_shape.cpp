// OnnxGraphTranslator: Shape, Constant, and host folding of ops whose inputs are all constants.
#include <algorithm>
#include <cmath>
#include <functional>

#include "models/onnx/onnx_graph_translator.h"
#include "models/onnx/onnx_host_ops.h"

namespace upres::models {
namespace {

using weights::OnnxAttributeType;

Result<std::vector<int64_t>> normalized_axes(std::vector<int64_t> axes, int64_t rank) {
  for (int64_t& a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return invalid_argument("axis out of range for rank " + std::to_string(rank));
  }
  return axes;
}

// Unsqueeze / Squeeze / Flatten / Reshape output dims from the input dims.
Result<engine::Shape> reshaped_dims(const weights::OnnxNode& node, const engine::Shape& in,
                                    const std::vector<int64_t>& arg) {
  const auto rank = static_cast<int64_t>(in.size());
  if (node.op_type == "Reshape") return onnx_reshape_target(in, arg, onnx_int_attr(node, "allowzero", 0) != 0);
  if (node.op_type == "Flatten") {
    int64_t axis = onnx_int_attr(node, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) return invalid_argument("Flatten axis out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= in[static_cast<size_t>(d)];
    return engine::Shape{outer, inner};
  }
  if (node.op_type == "Unsqueeze") {
    const int64_t out_rank = rank + static_cast<int64_t>(arg.size());
    UPRES_ASSIGN_OR_RETURN(auto axes, normalized_axes(arg, out_rank));
    engine::Shape out(static_cast<size_t>(out_rank), 0);
    std::vector<bool> is_new(out.size(), false);
    for (int64_t a : axes) is_new[static_cast<size_t>(a)] = true;
    size_t j = 0;
    for (size_t i = 0; i < out.size(); ++i) out[i] = is_new[i] ? 1 : in[j++];
    return out;
  }
  // Squeeze: listed axes, or every dim of 1.
  UPRES_ASSIGN_OR_RETURN(auto axes, normalized_axes(arg, rank));
  engine::Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    bool listed = axes.empty() ? in[static_cast<size_t>(d)] == 1
                               : std::find(axes.begin(), axes.end(), d) != axes.end();
    if (listed && in[static_cast<size_t>(d)] != 1) return invalid_argument("Squeeze of a dim that is not 1");
    if (!listed) out.push_back(in[static_cast<size_t>(d)]);
  }
  return out;
}

}  // namespace

// The axes (or shape) argument of Reshape/Unsqueeze/Squeeze: input 1 (opset 13+) or the attribute.
Result<std::vector<int64_t>> onnx_shape_argument(const weights::OnnxNode& node,
                                                 const std::function<Result<std::vector<int64_t>>()>& input1) {
  if (node.op_type == "Flatten") return std::vector<int64_t>{};
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) return input1();
  return onnx_ints_attr(node, node.op_type == "Reshape" ? "shape" : "axes");
}

Result<engine::Shape> onnx_reshaped_dims(const weights::OnnxNode& node, const engine::Shape& in,
                                         const std::vector<int64_t>& arg) {
  return reshaped_dims(node, in, arg);
}

Status OnnxGraphTranslator::shape_of(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* in, operand(node, 0));
  engine::Shape dims = in->is_runtime() ? graph_.shape(in->value) : in->host.dims;
  const auto rank = static_cast<int64_t>(dims.size());
  int64_t start = onnx_int_attr(node, "start", 0), end = onnx_int_attr(node, "end", rank);
  auto [s, e] = clamp_slice(start, end, 1, rank);
  OnnxHostTensor out{{std::max<int64_t>(0, e - s)}, false, {}};
  for (int64_t d = s; d < e; ++d) out.values.push_back(static_cast<double>(dims[static_cast<size_t>(d)]));
  return set_host(node, std::move(out));
}

Status OnnxGraphTranslator::constant(const Node& node) {
  if (node.attributes.size() != 1) return corrupt("needs exactly one value attribute");
  const weights::OnnxAttribute& a = node.attributes[0];
  OnnxHostTensor host;
  if (a.name == "value" && a.type == OnnxAttributeType::kTensor && a.t) {
    if (a.t->numel() > kOnnxMaxHostElements) {
      OnnxOperand op;
      auto tensor = engine::Tensor::from_f32(a.t->floats, a.t->dims);
      if (!a.t->is_float || !tensor.is_ok()) return unsupported("a large integer Constant");
      op.weight = std::move(*tensor);
      return set_operand(node, std::move(op));
    }
    host = onnx_host_tensor(*a.t);
  } else if (a.name == "value_float") {
    host = {{}, true, {a.f}};
  } else if (a.name == "value_int") {
    host = {{}, false, {static_cast<double>(a.i)}};
  } else if (a.name == "value_floats") {
    host = {{static_cast<int64_t>(a.floats.size())}, true, {a.floats.begin(), a.floats.end()}};
  } else if (a.name == "value_ints") {
    host = {{static_cast<int64_t>(a.ints.size())}, false, {}};
    for (int64_t v : a.ints) host.values.push_back(static_cast<double>(v));
  } else {
    return unsupported("Constant attribute '" + a.name + "'");
  }
  return set_host(node, std::move(host));
}

Status OnnxGraphTranslator::fold(const Node& node) {
  Status status = fold_elementwise(node);
  if (status.code() != StatusCode::kNotFound) return status;
  return fold_layout(node);
}

// NotFound when `node` is not an elementwise op.
Status OnnxGraphTranslator::fold_elementwise(const Node& node) {
  const std::string& op = node.op_type;
  auto in = [&](size_t i) { return host_input(node, i); };
  auto binary = [&](const std::function<double(double, double)>& f) -> Status {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor a, in(0));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor b, in(1));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_binary(a, b, f));
    return set_host(node, std::move(out));
  };
  auto unary = [&](const std::function<double(double)>& f) -> Status {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor a, in(0));
    return set_host(node, host_unary(a, f));
  };
  if (op == "Add") return binary([](double a, double b) { return a + b; });
  if (op == "Sub") return binary([](double a, double b) { return a - b; });
  if (op == "Mul") return binary([](double a, double b) { return a * b; });
  if (op == "Div") return binary([](double a, double b) { return b == 0 ? 0.0 : a / b; });
  if (op == "Pow") return binary([](double a, double b) { return std::pow(a, b); });
  if (op == "Min") return binary([](double a, double b) { return std::min(a, b); });
  if (op == "Max") return binary([](double a, double b) { return std::max(a, b); });
  if (op == "Equal") return binary([](double a, double b) { return a == b ? 1.0 : 0.0; });
  if (op == "Less") return binary([](double a, double b) { return a < b ? 1.0 : 0.0; });
  if (op == "Greater") return binary([](double a, double b) { return a > b ? 1.0 : 0.0; });
  if (op == "Neg") return unary([](double a) { return -a; });
  if (op == "Sqrt") return unary([](double a) { return std::sqrt(a); });
  if (op == "Floor") return unary([](double a) { return std::floor(a); });
  if (op == "Ceil") return unary([](double a) { return std::ceil(a); });
  if (op == "Abs") return unary([](double a) { return std::fabs(a); });
  if (op == "Reciprocal") return unary([](double a) { return a == 0 ? 0.0 : 1.0 / a; });
  if (op == "Identity") return unary([](double a) { return a; });
  return not_found(op);
}

Status OnnxGraphTranslator::fold_layout(const Node& node) {
  const std::string& op = node.op_type;
  auto in = [&](size_t i) { return host_input(node, i); };
  if (op == "Cast") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor a, in(0));
    const int64_t to = onnx_int_attr(node, "to", 1);
    a.is_float = to == 1 || to == 10 || to == 11 || to == 16;
    if (!a.is_float) {
      for (double& v : a.values) v = std::trunc(v);
    }
    return set_host(node, std::move(a));
  }
  if (op == "Gather") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor data, in(0));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor idx, in(1));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_gather(data, idx, onnx_int_attr(node, "axis", 0)));
    return set_host(node, std::move(out));
  }
  if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor a, in(0));
    UPRES_ASSIGN_OR_RETURN(auto arg, onnx_shape_argument(node, [&] { return host_ints_input(node, 1); }));
    UPRES_ASSIGN_OR_RETURN(a.dims, reshaped_dims(node, a.dims, arg));
    return set_host(node, std::move(a));
  }
  if (op == "Concat") {
    std::vector<OnnxHostTensor> xs;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      UPRES_ASSIGN_OR_RETURN(OnnxHostTensor x, in(i));
      xs.push_back(std::move(x));
    }
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_concat(xs, onnx_int_attr(node, "axis", 0)));
    return set_host(node, std::move(out));
  }
  if (op == "Slice") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor x, in(0));
    UPRES_ASSIGN_OR_RETURN(auto starts, host_ints_input(node, 1));
    UPRES_ASSIGN_OR_RETURN(auto ends, host_ints_input(node, 2));
    std::vector<int64_t> axes, steps(starts.size(), 1);
    if (has_input(node, 3)) {
      UPRES_ASSIGN_OR_RETURN(axes, host_ints_input(node, 3));
    } else {
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (has_input(node, 4)) {
      UPRES_ASSIGN_OR_RETURN(steps, host_ints_input(node, 4));
    }
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
      return invalid_argument("Slice arguments differ in length");
    }
    UPRES_ASSIGN_OR_RETURN(axes, normalized_axes(axes, static_cast<int64_t>(x.dims.size())));
    for (int64_t s : steps) {
      if (s == 0) return invalid_argument("Slice step 0");
    }
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_slice(x, axes, starts, ends, steps));
    return set_host(node, std::move(out));
  }
  if (op == "Transpose") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor x, in(0));
    std::vector<int64_t> perm = onnx_ints_attr(node, "perm");
    if (perm.empty()) {
      for (int64_t d = static_cast<int64_t>(x.dims.size()) - 1; d >= 0; --d) perm.push_back(d);
    }
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_transpose(x, perm));
    return set_host(node, std::move(out));
  }
  if (op == "Expand") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor x, in(0));
    UPRES_ASSIGN_OR_RETURN(auto shape, host_ints_input(node, 1));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_expand(x, shape));
    return set_host(node, std::move(out));
  }
  if (op == "Where") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor c, in(0));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor a, in(1));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor b, in(2));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_where(c, a, b));
    return set_host(node, std::move(out));
  }
  if (op == "ConstantOfShape") {
    UPRES_ASSIGN_OR_RETURN(auto shape, host_ints_input(node, 0));
    OnnxHostTensor fill{{}, true, {0.0}};
    const auto* value = node.attribute("value");
    if (value != nullptr && value->t && value->t->numel() == 1) fill = onnx_host_tensor(*value->t);
    fill.dims = {};
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out, host_expand(fill, shape));
    return set_host(node, std::move(out));
  }
  if (op == "Range") {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor start, in(0));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor limit, in(1));
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor delta, in(2));
    if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1 || delta.values[0] == 0) {
      return invalid_argument("Range needs scalar start, limit and a non-zero delta");
    }
    const double count = std::ceil((limit.values[0] - start.values[0]) / delta.values[0]);
    if (!std::isfinite(count) || count > static_cast<double>(kOnnxMaxFoldedElements)) {
      return unsupported("Range is too long");
    }
    OnnxHostTensor out{{std::max<int64_t>(0, static_cast<int64_t>(count))}, start.is_float, {}};
    for (int64_t i = 0; i < out.dims[0]; ++i) out.values.push_back(start.values[0] + static_cast<double>(i) * delta.values[0]);
    return set_host(node, std::move(out));
  }
  return unsupported("op " + op + " cannot be folded");
}

}  // namespace upres::models
