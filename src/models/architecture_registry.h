// The PyTorch-file architectures upres runs, detected from state-dict keys as spandrel does (first
// match in table order), plus the signatures of architectures it recognises but cannot run yet, so
// an Unsupported error can say what a file is. Adding a model = one row in architecture_registry.cpp.
// Immutable tables; thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "base/result.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

struct ArchitectureEntry {
  std::string_view name;  // as UpscaleModel::architecture() reports it
  bool (*matches)(const nn::StateDict& weights);
  Result<std::shared_ptr<const UpscaleModel>> (*load)(const weights::WeightMap& weights);
};

// The runnable architectures, in detection order.
std::span<const ArchitectureEntry> torch_architectures();

// The entry whose keys `weights` holds. Unsupported otherwise, naming the architecture the keys
// belong to when it is a known one ("OmniSR is not supported yet"), else showing a few keys.
Result<const ArchitectureEntry*> detect_architecture(const nn::StateDict& weights);

// Detects and loads. `file` prefixes error messages.
Result<std::shared_ptr<const UpscaleModel>> load_torch_upscale_model(const weights::WeightMap& weights,
                                                                     std::string_view file);

}  // namespace upres::models
