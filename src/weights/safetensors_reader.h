// SafetensorsReader: .safetensors files (u64 header length, JSON header, one data buffer),
// with every offset checked: begin <= end <= buffer, sizes match shapes, no holes or overlaps.
// Stateless functions; thread-safe.
#pragma once

#include <memory>
#include <span>

#include "base/result.h"
#include "weights/byte_source.h"
#include "weights/weight_map.h"

namespace upres::weights {

// True when `bytes` start with a plausible safetensors header (length, then '{').
bool looks_like_safetensors(std::span<const uint8_t> bytes);

Result<WeightMap> read_safetensors(std::shared_ptr<const ByteSource> file);

}  // namespace upres::weights
