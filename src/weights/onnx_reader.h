// OnnxReader: parses an ONNX model (.onnx protobuf) with the protobuf library into an OnnxGraph,
// treating the file as data: nothing in it is executed. Every tensor's dims are checked
// (non-negative, bounded product) against the bytes it carries, external data is refused, graph
// sizes are bounded, every node input must name a graph input, initializer or node output, and the
// graph must be acyclic (nodes come back in topological order). Errors are Corrupt (malformed) or
// Unsupported (well-formed but outside what upres reads), prefixed with the file's name.
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>

#include "base/result.h"
#include "weights/byte_source.h"
#include "weights/onnx_graph.h"

namespace upres::weights {

inline constexpr int64_t kOnnxMaxNodes = 200000;
inline constexpr int64_t kOnnxMaxInitializers = 200000;
inline constexpr int64_t kOnnxMaxTensorElements = int64_t{1} << 31;
inline constexpr int64_t kOnnxMaxAttributeValues = int64_t{1} << 20;  // ints/floats of one attribute

// `source` holds the whole .onnx file; its name() prefixes every message.
Result<OnnxGraph> read_onnx(const ByteSource& source);
// Maps and reads `path`.
Result<OnnxGraph> read_onnx_file(const std::filesystem::path& path);

}  // namespace upres::weights
