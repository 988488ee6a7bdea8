// NcnnReader: an ncnn model (.param text + .bin weights) as a graph plus a WeightMap of per-layer
// named blobs ("<layer>.weight", "<layer>.bias", ...), each with its storage tag. The .bin is
// walked in layer order and must end exactly where the last blob ends.
// Stateless functions; thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "weights/byte_source.h"
#include "weights/ncnn_graph.h"
#include "weights/weight_map.h"

namespace upres::weights {

struct NcnnModel {
  NcnnGraph graph;
  WeightMap weights;
};

// `param` holds the .param text; `bin` the weights.
Result<NcnnModel> read_ncnn(const ByteSource& param, std::shared_ptr<const ByteSource> bin);
// Reads `param_path` and the .bin beside it (same stem).
Result<NcnnModel> read_ncnn_files(const std::filesystem::path& param_path);

}  // namespace upres::weights
