// WeightFile: the one entry point that opens any supported model file, choosing the reader by
// content (zip magic, legacy torch magic, safetensors header, ncnn magic) and then by extension.
// Stateless functions; thread-safe.
#pragma once

#include <filesystem>
#include <optional>

#include "base/result.h"
#include "weights/ncnn_graph.h"
#include "weights/weight_map.h"

namespace upres::weights {

struct WeightFile {
  WeightMap weights;
  std::optional<NcnnGraph> ncnn_graph;  // set for ncnn models
};

// Reads `path`: a .pth/.pt/.ckpt (zip or legacy), a .safetensors, or an ncnn .param (with the
// .bin beside it; a .bin path finds its .param likewise). Every size is checked before use.
Result<WeightFile> read_weight_file(const std::filesystem::path& path);

}  // namespace upres::weights
