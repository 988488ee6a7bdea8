// FuzzInput: wraps a libFuzzer input as a ByteSource and reads every indexed tensor, so that both
// the index checks and the data reads are exercised. Header-only; used by one harness at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "weights/byte_source.h"
#include "weights/weight_map.h"

namespace upres::weights {

inline std::shared_ptr<const ByteSource> fuzz_source(const uint8_t* data, size_t size, const char* name) {
  return ByteSource::from_bytes(std::vector<uint8_t>(data, data + size), name);
}

inline void read_every_tensor(const WeightMap& map) {
  for (const WeightEntry& entry : map.entries()) (void)map.read_f32(entry);
}

}  // namespace upres::weights
