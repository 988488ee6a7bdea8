// NcnnLayerBlobs: which weight blobs each ncnn layer type reads from the .bin, in its
// load_model() order, with their element counts and shapes derived from the layer's params.
// Stateless; thread-safe. Source: ncnn src/layer/*.cpp load_model (model-formats.md 1.2-1.3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "weights/ncnn_graph.h"

namespace upres::weights {

struct NcnnBlobRead {
  std::string suffix;          // "weight", "bias", "slope", ... (entry name "<layer>.<suffix>")
  int64_t count = 0;           // elements
  bool tagged = false;         // true: 4-byte storage tag first (type 0); false: raw fp32 (type 1)
  std::vector<int64_t> shape;  // [count] unless the params give a finer shape
};

// The blobs `layer` reads, or Unsupported naming the type when upres does not know what it reads
// (the rest of the .bin could then not be located). Corrupt for negative counts.
Result<std::vector<NcnnBlobRead>> ncnn_layer_blobs(const NcnnLayer& layer);

}  // namespace upres::weights
