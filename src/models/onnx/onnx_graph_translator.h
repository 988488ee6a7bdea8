// OnnxGraphTranslator: turns the nodes of an OnnxGraph into engine ops for one input size, one
// ONNX node at a time, tracking each ONNX value as an engine Value (run-time) or a host constant
// (initializers, Constant nodes, and the Shape/Gather/Concat arithmetic around dynamic H/W, which
// folds once the size is known). Composite patterns the engine has one op for are recognised:
// x * sigmoid(x) -> silu, x * 0.5 * (1 + erf(x / sqrt 2)) -> gelu (a lone Erf is the engine's erf). One translator per
// build_graph() call; not thread-safe (it owns the graph being built).
// Operator semantics: https://onnx.ai/onnx/operators/ (opset 7-18).
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/onnx/onnx_constants.h"
#include "weights/onnx_graph.h"

namespace upres::models {

struct OnnxOpTable;

// One ONNX value while translating.
struct OnnxOperand {
  engine::Value value;   // run-time value, when valid
  bool has_host = false; // compile-time value in `host`
  OnnxHostTensor host;
  engine::Tensor weight; // fp32 tensor of a float constant (set for initializers)
  // Partial GELU x * 0.5 * (1 + erf(x / sqrt 2)); `gelu_of` is x's ONNX name. `value` holds the
  // partial result too, for when the pattern does not complete.
  enum class Gelu { kNone, kErf, kErfPlusOne, kTwiceGelu } gelu = Gelu::kNone;
  std::string gelu_of;
  // A rank-0 ONNX value (a reduce over every axis without keepdims) that the engine holds as [1];
  // Reshape / Unsqueeze read it as rank 0.
  bool scalar = false;

  bool is_runtime() const { return value.is_valid(); }
};

// The op types of `graph` that upres cannot translate (non-standard domains as "domain:op"),
// each once, in graph order. Checked at load, before any work.
std::vector<std::string> unsupported_onnx_ops(const weights::OnnxGraph& graph);

class OnnxGraphTranslator {
 public:
  // `graph` receives the ops; `onnx` and `constants` outlive the translator.
  OnnxGraphTranslator(engine::Graph& graph, const weights::OnnxGraph& onnx, const OnnxConstants& constants);

  // Binds the ONNX graph's one run-time input to `input` and translates every node; returns the
  // value of the first graph output. Unsupported names the node and what it cannot map;
  // InvalidArgument when shapes do not fit the input size.
  Result<engine::Value> translate(engine::Value input);

 private:
  friend struct OnnxOpTable;
  using Node = weights::OnnxNode;
  Status translate_node(const Node& node);

  // Inputs and outputs of the node being translated.
  bool has_input(const Node& node, size_t i) const { return i < node.inputs.size() && !node.inputs[i].empty(); }
  Result<const OnnxOperand*> operand(const Node& node, size_t i) const;
  Result<OnnxHostTensor> host_input(const Node& node, size_t i) const;
  Result<std::vector<int64_t>> host_ints_input(const Node& node, size_t i) const;
  Result<engine::Value> runtime_input(const Node& node, size_t i);
  Result<engine::Tensor> weight_input(const Node& node, size_t i) const;
  Status set_value(const Node& node, engine::Value value, size_t output = 0);
  Status set_host(const Node& node, OnnxHostTensor host, size_t output = 0);
  Status set_operand(const Node& node, OnnxOperand operand, size_t output = 0);
  // Whether every non-empty input is a host constant (then the op folds).
  bool all_host(const Node& node) const;
  // The ONNX node that wrote `name`, or nullptr.
  const Node* producer(const std::string& name) const;
  engine::Value as_runtime(const OnnxOperand& operand);

  // Folded shape arithmetic (onnx_translate_shape.cpp).
  Status fold(const Node& node);
  Status fold_elementwise(const Node& node);
  Status fold_layout(const Node& node);
  Status shape_of(const Node& node);
  Status constant(const Node& node);

  // Arithmetic and activations (onnx_translate_arith.cpp).
  Status binary(const Node& node);
  Status mul(const Node& node);
  Status unary(const Node& node);
  Status clip(const Node& node);
  Status erf(const Node& node);
  Status max_min(const Node& node);  // Max, Min (variadic)
  engine::Value clamp(engine::Value x, const double* lo, const double* hi);

  // Weighted, dense, normalization and pooling ops (onnx_translate_dense.cpp).
  Status conv(const Node& node);
  Status conv_transpose(const Node& node);
  Status prelu(const Node& node);
  Status matmul(const Node& node);
  Status gemm(const Node& node);
  Status layer_norm(const Node& node);
  Status softmax(const Node& node);
  Status reduce(const Node& node);          // ReduceMean / Sum / Max / Min / L2 / SumSquare
  Status normalization(const Node& node);  // InstanceNormalization, BatchNormalization
  Status pool(const Node& node);           // AveragePool, MaxPool, GlobalAveragePool

  // Data movement (onnx_translate_layout.cpp).
  Status concat(const Node& node);
  Status slice(const Node& node);
  Status split(const Node& node);
  Status reshape(const Node& node);
  Status transpose(const Node& node);
  Status gather(const Node& node);
  Status depth_to_space(const Node& node, bool to_space);
  Status resize(const Node& node);
  Status pad(const Node& node);

  engine::Graph& graph_;
  const weights::OnnxGraph& onnx_;
  const OnnxConstants& constants_;
  std::unordered_map<std::string, OnnxOperand> values_;
  std::unordered_map<std::string, const Node*> producers_;
};

// Attribute readers: the attribute's value, or `fallback` when absent.
int64_t onnx_int_attr(const weights::OnnxNode& node, const char* name, int64_t fallback);
float onnx_float_attr(const weights::OnnxNode& node, const char* name, float fallback);
std::string onnx_string_attr(const weights::OnnxNode& node, const char* name, const std::string& fallback);
std::vector<int64_t> onnx_ints_attr(const weights::OnnxNode& node, const char* name);

// Reshape's target shape / Unsqueeze's and Squeeze's axes: input 1 when present (opset 13+, read by
// `input1`), else the attribute; empty for Flatten.
Result<std::vector<int64_t>> onnx_shape_argument(const weights::OnnxNode& node,
                                                 const std::function<Result<std::vector<int64_t>>()>& input1);
// Output dims of Reshape / Flatten / Squeeze / Unsqueeze on `in` with that argument.
Result<engine::Shape> onnx_reshaped_dims(const weights::OnnxNode& node, const engine::Shape& in,
                                         const std::vector<int64_t>& arg);

}  // namespace upres::models
