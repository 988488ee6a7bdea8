// OpCase: one PyTorch fixture case written by tests/reference/engine_ops.py (op name, attributes
// as JSON, input/constant/expected tensors as raw fp32 files), and how to turn it into a Graph.
// Test support; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"

namespace upres::engine::testing {

struct TensorFile {
  std::string file;
  Shape shape;
  bool is_constant = false;  // a graph constant rather than a runtime input
};

struct OpCase {
  std::string name;
  std::string op;
  nlohmann::json attrs;
  std::vector<TensorFile> inputs;
  std::vector<std::optional<TensorFile>> constants;  // nullopt = undefined tensor
  TensorFile output;
  double tolerance = 1e-5;
};

// A case as a one-node graph plus its runtime inputs and PyTorch's output.
struct BuiltCase {
  Graph graph;
  std::vector<Tensor> inputs;
  Tensor expected;
};

// Reads dir/manifest.json.
Result<std::vector<OpCase>> load_op_cases(const std::string& dir);
// Reads a raw little-endian fp32 file, checking its size against the shape.
Result<Tensor> read_tensor(const std::string& dir, const TensorFile& file);
// Builds the graph; `weight_dtype` is the storage dtype given to the constants.
Result<BuiltCase> build_case(const std::string& dir, const OpCase& op_case, DType weight_dtype = DType::kF32);

// max |actual - expected| / max(max |expected|, 1e-6); +inf if shapes differ.
double relative_error(const Tensor& actual, const Tensor& expected);

// Runs `/usr/bin/python3 UPRES_SOURCE_DIR/tests/reference/<script> <fresh temp dir>` and returns
// the directory, or an error with the script's exit code.
Result<std::string> generate_fixtures(const std::string& script);

}  // namespace upres::engine::testing
