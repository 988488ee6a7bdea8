// OnnxGraphTranslator: dispatch, operand bookkeeping and the supported-op list.
#include "models/onnx/onnx_graph_translator.h"

#include "models/onnx/onnx_host_ops.h"

#include <map>
#include <set>

namespace upres::models {
namespace {

using Handler = Status (OnnxGraphTranslator::*)(const weights::OnnxNode&);

// Ops that fold on the host when every input is a constant (onnx_translate_shape.cpp).
const std::set<std::string>& foldable_ops() {
  static const std::set<std::string> ops = {
      "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Sqrt", "Floor", "Ceil", "Abs", "Reciprocal", "Cast",
      "Identity", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Reshape", "Transpose", "Expand",
      "Range", "ConstantOfShape", "Equal", "Where", "Flatten", "Min", "Max", "Less", "Greater"};
  return ops;
}

}  // namespace

// Ops with a run-time translation; the map is the one list of supported ops (with the foldable
// ones, which only fold).
struct OnnxOpTable {
  static const std::map<std::string, Handler>& handlers() {
    using T = OnnxGraphTranslator;
    static const std::map<std::string, Handler> table = {
        {"Shape", &T::shape_of}, {"Constant", &T::constant}, {"Identity", &T::unary}, {"Cast", &T::unary},
        {"Add", &T::binary}, {"Sub", &T::binary}, {"Div", &T::binary}, {"Pow", &T::binary}, {"Mul", &T::mul},
        {"Relu", &T::unary}, {"LeakyRelu", &T::unary}, {"Sigmoid", &T::unary}, {"Tanh", &T::unary},
        {"Gelu", &T::unary}, {"HardSigmoid", &T::unary}, {"HardSwish", &T::unary}, {"Neg", &T::unary},
        {"Clip", &T::clip}, {"Erf", &T::erf}, {"PRelu", &T::prelu},
        {"Sqrt", &T::unary}, {"Exp", &T::unary}, {"Log", &T::unary}, {"Abs", &T::unary}, {"Reciprocal", &T::unary},
        {"Max", &T::max_min}, {"Min", &T::max_min},
        {"Conv", &T::conv}, {"ConvTranspose", &T::conv_transpose}, {"MatMul", &T::matmul}, {"Gemm", &T::gemm},
        {"LayerNormalization", &T::layer_norm}, {"Softmax", &T::softmax}, {"ReduceMean", &T::reduce},
        {"ReduceSum", &T::reduce}, {"ReduceMax", &T::reduce}, {"ReduceMin", &T::reduce}, {"ReduceL2", &T::reduce},
        {"ReduceSumSquare", &T::reduce},
        {"InstanceNormalization", &T::normalization}, {"BatchNormalization", &T::normalization},
        {"AveragePool", &T::pool}, {"MaxPool", &T::pool}, {"GlobalAveragePool", &T::pool},
        {"Concat", &T::concat}, {"Slice", &T::slice}, {"Split", &T::split}, {"Reshape", &T::reshape},
        {"Flatten", &T::reshape}, {"Squeeze", &T::reshape}, {"Unsqueeze", &T::reshape},
        {"Transpose", &T::transpose}, {"Gather", &T::gather},
        {"DepthToSpace", nullptr}, {"SpaceToDepth", nullptr},
        {"Resize", &T::resize}, {"Upsample", &T::resize}, {"Pad", &T::pad}};
    return table;
  }
};

std::vector<std::string> unsupported_onnx_ops(const weights::OnnxGraph& graph) {
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const weights::OnnxNode& node : graph.nodes) {
    std::string op = node.op_type;
    bool known = (node.domain.empty() || node.domain == "ai.onnx") &&
                 (OnnxOpTable::handlers().count(op) != 0 || foldable_ops().count(op) != 0);
    if (!node.domain.empty() && node.domain != "ai.onnx") op = node.domain + ":" + op;
    if (!known && seen.insert(op).second) missing.push_back(op);
  }
  return missing;
}

int64_t onnx_int_attr(const weights::OnnxNode& node, const char* name, int64_t fallback) {
  const auto* a = node.attribute(name);
  return a != nullptr && a->type == weights::OnnxAttributeType::kInt ? a->i : fallback;
}

float onnx_float_attr(const weights::OnnxNode& node, const char* name, float fallback) {
  const auto* a = node.attribute(name);
  return a != nullptr && a->type == weights::OnnxAttributeType::kFloat ? a->f : fallback;
}

std::string onnx_string_attr(const weights::OnnxNode& node, const char* name, const std::string& fallback) {
  const auto* a = node.attribute(name);
  return a != nullptr && a->type == weights::OnnxAttributeType::kString ? a->s : fallback;
}

std::vector<int64_t> onnx_ints_attr(const weights::OnnxNode& node, const char* name) {
  const auto* a = node.attribute(name);
  return a != nullptr && a->type == weights::OnnxAttributeType::kInts ? a->ints : std::vector<int64_t>{};
}

OnnxGraphTranslator::OnnxGraphTranslator(engine::Graph& graph, const weights::OnnxGraph& onnx,
                                         const OnnxConstants& constants)
    : graph_(graph), onnx_(onnx), constants_(constants) {}

Result<engine::Value> OnnxGraphTranslator::translate(engine::Value input) {
  if (onnx_.inputs.size() != 1) {
    return unsupported("the graph has " + std::to_string(onnx_.inputs.size()) + " run-time inputs; upres runs "
                       "single-image models");
  }
  for (const auto& [name, c] : constants_) {
    OnnxOperand op;
    op.weight = c.weight;
    op.has_host = c.has_host;
    if (c.has_host) op.host = c.host;
    values_[name] = std::move(op);
  }
  OnnxOperand in;
  in.value = input;
  values_[onnx_.inputs[0].name] = in;
  for (const Node& node : onnx_.nodes) {
    for (const std::string& out : node.outputs) producers_[out] = &node;
  }
  for (const Node& node : onnx_.nodes) {
    Status status = translate_node(node);
    if (status.is_ok()) status = graph_.status();
    if (!status.is_ok()) return status.with_context(node.context());
  }
  auto it = values_.find(onnx_.outputs[0].name);
  if (it == values_.end()) return internal_error("graph output '" + onnx_.outputs[0].name + "' was not computed");
  return as_runtime(it->second);
}

Status OnnxGraphTranslator::translate_node(const Node& node) {
  if (node.op_type != "Shape" && foldable_ops().count(node.op_type) != 0 && all_host(node)) return fold(node);
  auto it = OnnxOpTable::handlers().find(node.op_type);
  if (it == OnnxOpTable::handlers().end()) {
    return unsupported("op " + node.op_type + " is supported only on constants, not on run-time tensors");
  }
  if (node.op_type == "DepthToSpace") return depth_to_space(node, true);
  if (node.op_type == "SpaceToDepth") return depth_to_space(node, false);
  return (this->*(it->second))(node);
}

Result<const OnnxOperand*> OnnxGraphTranslator::operand(const Node& node, size_t i) const {
  if (!has_input(node, i)) return invalid_argument("input " + std::to_string(i) + " is missing");
  auto it = values_.find(node.inputs[i]);
  if (it == values_.end()) return corrupt("input '" + node.inputs[i] + "' is not computed");
  return &it->second;
}

Result<OnnxHostTensor> OnnxGraphTranslator::host_input(const Node& node, size_t i) const {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* in, operand(node, i));
  if (!in->has_host) {
    return unsupported("input " + std::to_string(i) + " ('" + node.inputs[i] + "') must be a small constant");
  }
  return in->host;
}

Result<std::vector<int64_t>> OnnxGraphTranslator::host_ints_input(const Node& node, size_t i) const {
  UPRES_ASSIGN_OR_RETURN(OnnxHostTensor host, host_input(node, i));
  return host_ints(host);
}

engine::Value OnnxGraphTranslator::as_runtime(const OnnxOperand& op) {
  if (op.is_runtime()) return op.value;
  if (op.weight.is_defined()) return graph_.constant(op.weight);
  auto tensor = op.host.to_tensor();
  return graph_.constant(tensor.is_ok() ? *tensor : engine::Tensor{});  // undefined: a build error
}

Result<engine::Value> OnnxGraphTranslator::runtime_input(const Node& node, size_t i) {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* in, operand(node, i));
  return as_runtime(*in);
}

Result<engine::Tensor> OnnxGraphTranslator::weight_input(const Node& node, size_t i) const {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* in, operand(node, i));
  if (in->weight.is_defined()) return in->weight;
  if (in->has_host && in->host.is_float) return in->host.to_tensor();
  return unsupported("input " + std::to_string(i) + " ('" + node.inputs[i] + "') must be a constant float tensor");
}

Status OnnxGraphTranslator::set_operand(const Node& node, OnnxOperand op, size_t output) {
  if (output >= node.outputs.size()) return corrupt("has no output " + std::to_string(output));
  values_[node.outputs[output]] = std::move(op);
  return Status::ok();
}

Status OnnxGraphTranslator::set_value(const Node& node, engine::Value value, size_t output) {
  OnnxOperand op;
  op.value = graph_.named(value, node.name);
  return set_operand(node, std::move(op), output);
}

Status OnnxGraphTranslator::set_host(const Node& node, OnnxHostTensor host, size_t output) {
  OnnxOperand op;
  op.has_host = true;
  op.host = std::move(host);
  return set_operand(node, std::move(op), output);
}

bool OnnxGraphTranslator::all_host(const Node& node) const {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!has_input(node, i)) continue;
    auto it = values_.find(node.inputs[i]);
    if (it == values_.end() || !it->second.has_host) return false;
  }
  return true;
}

const weights::OnnxNode* OnnxGraphTranslator::producer(const std::string& name) const {
  auto it = producers_.find(name);
  return it == producers_.end() ? nullptr : it->second;
}

}  // namespace upres::models
