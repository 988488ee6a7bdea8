// OnnxConstants: the initializers of an ONNX graph, converted once at load: float tensors as
// engine fp32 Tensors (weights; fp16/bf16/fp64 files are converted here) and small tensors also as
// host values for shape arithmetic. OnnxHostTensor: a small constant known while building (an
// initializer, a Constant, or shape arithmetic folded once the input size is known).
// Immutable after building; thread-safe to share.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/tensor.h"
#include "weights/onnx_graph.h"

namespace upres::models {

// Values as double (exact for integers below 2^53, enough for any shape), row-major over dims.
struct OnnxHostTensor {
  engine::Shape dims;
  bool is_float = true;
  std::vector<double> values;

  int64_t numel() const { return static_cast<int64_t>(values.size()); }
  // fp32 engine tensor of these values.
  Result<engine::Tensor> to_tensor() const;
};

// Constants larger than this stay weights only (shape arithmetic never needs them); float
// initializers (conv weights, biases) keep host values only up to kOnnxMaxHostFloatElements, so a
// model's weights are not held twice.
inline constexpr int64_t kOnnxMaxHostElements = int64_t{1} << 16;
inline constexpr int64_t kOnnxMaxHostFloatElements = 1024;
// Folded constants (ConstantOfShape, Range, Expand) may not grow past this.
inline constexpr int64_t kOnnxMaxFoldedElements = int64_t{1} << 22;

OnnxHostTensor onnx_host_tensor(const weights::OnnxTensor& tensor);

struct OnnxConstant {
  engine::Tensor weight;                // fp32, for float tensors
  bool has_host = false;                // small enough for `host`
  OnnxHostTensor host;
};

using OnnxConstants = std::map<std::string, OnnxConstant>;

Result<OnnxConstants> make_onnx_constants(const weights::OnnxGraph& graph);

}  // namespace upres::models
