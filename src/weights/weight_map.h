// WeightMap: the index of a model file's tensors (name, dtype, shape, byte range in a backing
// ByteSource) plus the file's non-tensor metadata; tensor data is read on demand.
// Immutable after building; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/dtype.h"
#include "base/result.h"
#include "weights/byte_source.h"

namespace upres::weights {

// How an ncnn .bin stores one blob (the 4-byte tag before tagged blobs).
enum class NcnnStorage : uint8_t {
  kNone,      // not an ncnn blob
  kRawF32,    // untagged fp32 (biases, slopes, scales)
  kF32,       // tag 0x00000000
  kF32Scaled, // tag 0x0002C056, read as fp32
  kF16,       // tag 0x01306B47
  kInt8,      // tag 0x000D4B38, raw int8 (scales are separate blobs)
  kCodebook,  // any other non-zero tag: 256 fp32 table entries, then one uint8 index per value
};

struct WeightEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint32_t source = 0;  // index into WeightMap::sources()
  uint64_t offset = 0;  // byte offset of the first element in that source
  uint64_t length = 0;  // bytes (for kCodebook: 1024-byte table + indices)
  NcnnStorage ncnn_storage = NcnnStorage::kNone;

  int64_t numel() const;
};

// Product of `shape`, or Corrupt naming `what` when a dimension is negative or the product (times
// `item_bytes`) overflows 2^62.
Result<int64_t> checked_numel(std::span<const int64_t> shape, uint64_t item_bytes, std::string_view what);

class WeightMap {
 public:
  WeightMap() = default;

  // Building. Requires: the range [offset, offset + length) of `entry` lies inside its source
  // (add_entry checks it and the dtype/shape/length agreement, returning Corrupt otherwise).
  uint32_t add_source(std::shared_ptr<const ByteSource> source);
  Status add_entry(WeightEntry entry);
  void set_format(std::string format) { format_ = std::move(format); }
  void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }
  // Removes `prefix` from every entry name (callers check that all names start with it).
  void strip_name_prefix(std::string_view prefix);

  // Queries.
  const std::vector<WeightEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  const WeightEntry* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  const std::string& format() const { return format_; }  // "torch-zip", "safetensors", "ncnn", ...
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<std::shared_ptr<const ByteSource>>& sources() const { return sources_; }
  int64_t total_values() const;

  // The entry's stored bytes, as they are in the file (little-endian).
  Result<std::span<const uint8_t>> read_raw(const WeightEntry& entry) const;
  // Values converted to fp32 (fp32/fp16/bf16/f64/integer/bool dtypes, ncnn codebooks).
  // Unsupported for ncnn int8 blobs, whose meaning needs the layer's scales.
  Result<std::vector<float>> read_f32(const WeightEntry& entry) const;
  Result<std::vector<float>> read_f32(std::string_view name) const;
  // As read_f32, into caller memory. InvalidArgument unless out.size() == entry.numel().
  Status read_f32_into(const WeightEntry& entry, std::span<float> out) const;

 private:
  void rebuild_index();

  std::vector<std::shared_ptr<const ByteSource>> sources_;
  std::vector<WeightEntry> entries_;
  std::unordered_map<std::string, size_t> index_;
  std::string format_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace upres::weights
