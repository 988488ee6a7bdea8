// PthReader: PyTorch checkpoints (.pth/.pt/.ckpt) in the zip format (torch >= 1.6, any top
// folder, stored or deflated records) and the legacy pickle-stream format, indexed into a
// WeightMap after unwrapping the state dict. Stateless functions; thread-safe.
#pragma once

#include <memory>

#include "base/result.h"
#include "weights/byte_source.h"
#include "weights/weight_map.h"

namespace upres::weights {

// True when `bytes` start like a torch legacy checkpoint (PROTO 2, LONG1 magic number).
bool looks_like_legacy_pth(std::span<const uint8_t> bytes);

Result<WeightMap> read_pth(std::shared_ptr<const ByteSource> file);
Result<WeightMap> read_pth_zip(std::shared_ptr<const ByteSource> file);
Result<WeightMap> read_pth_legacy(std::shared_ptr<const ByteSource> file);

}  // namespace upres::weights
