// OnnxGraph: an ONNX model's inference graph as plain data (nodes in topological order, decoded
// initializers, typed inputs and outputs), free of protobuf types so that importers need no
// generated code. Produced only by read_onnx (onnx_reader.h), which checked every size, name and
// edge. Immutable after reading; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/dtype.h"

namespace upres::weights {

// A tensor of the file decoded to host values: floating types (fp32/fp16/bf16/fp64) as fp32 in
// `floats`, integer and bool types as int64 in `ints`. Row-major over `dims`.
struct OnnxTensor {
  std::string name;
  std::vector<int64_t> dims;
  DType stored_dtype = DType::kF32;  // as stored in the file (kI64 also stands for uint types)
  bool is_float = true;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  int64_t numel() const;
};

enum class OnnxAttributeType { kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings, kOther };

struct OnnxAttribute {
  std::string name;
  OnnxAttributeType type = OnnxAttributeType::kOther;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<const OnnxTensor> t;  // kTensor only
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

struct OnnxNode {
  std::string name;
  std::string op_type;
  std::string domain;               // "" or "ai.onnx" for the standard operator set
  std::vector<std::string> inputs;  // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::vector<OnnxAttribute> attributes;

  const OnnxAttribute* attribute(std::string_view attribute_name) const;
  // "node 'Conv_0' (Conv)", the context of messages.
  std::string context() const;
};

// A graph input or output. dims[i] == -1 for a symbolic or unknown dimension; empty `dims` with
// has_shape == false when the file gives no shape.
struct OnnxValueInfo {
  std::string name;
  int32_t elem_type = 0;  // TensorProto.DataType (1 float, 10 float16, ...)
  bool has_shape = false;
  std::vector<int64_t> dims;
};

// `text` with control bytes and invalid UTF-8 replaced by '?': names in a hostile file may hold any
// bytes, and messages end up in JSON and on terminals.
std::string onnx_printable(std::string_view text);

struct OnnxGraph {
  std::vector<OnnxNode> nodes;                      // topological order
  std::map<std::string, OnnxTensor> initializers;  // by name
  std::vector<OnnxValueInfo> inputs;                // runtime inputs (initializers excluded)
  std::vector<OnnxValueInfo> outputs;
  int64_t opset = 0;  // version of the default ("" / "ai.onnx") operator set
  std::string producer;
};

}  // namespace upres::weights
