// ByteSource: an immutable span of bytes backing a WeightMap, either a memory-mapped file or an
// owned buffer (inflated zip entries, test data). Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace upres::weights {

class ByteSource {
 public:
  // Maps `path` read-only (falls back to reading it when mmap fails). `name()` is the path.
  // Requires: nobody truncates the file while it is mapped (that would fault on access).
  static Result<std::shared_ptr<const ByteSource>> map_file(const std::filesystem::path& path);
  // Takes ownership of `bytes`; `name` appears in error messages.
  static std::shared_ptr<const ByteSource> from_bytes(std::vector<uint8_t> bytes, std::string name);

  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }
  std::span<const uint8_t> bytes() const { return {data_, static_cast<size_t>(size_)}; }

  // Bytes [offset, offset + length) or Corrupt naming `what` when the range leaves the source.
  Result<std::span<const uint8_t>> range(uint64_t offset, uint64_t length, std::string_view what) const;

 private:
  ByteSource() = default;

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string name_;
  std::vector<uint8_t> owned_;
  void* mapping_ = nullptr;
};

// A byte range [offset, offset + length) of a source (a zip entry, a storage's data...).
struct ByteRange {
  std::shared_ptr<const ByteSource> source;
  uint64_t offset = 0;
  uint64_t length = 0;
};

}  // namespace upres::weights
