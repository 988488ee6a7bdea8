// ZipReader: a minimal read-only ZIP archive index (central directory, zip64, stored and deflate
// entries, CRC-32 checked). Immutable after open(); const methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "weights/byte_source.h"

namespace upres::weights {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;           // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;             // uncompressed
  uint64_t data_offset = 0;      // first byte of the (compressed) data in the archive
};

class ZipReader {
 public:
  // Indexes the archive: every entry's local header and data range is checked against the file.
  static Result<ZipReader> open(std::shared_ptr<const ByteSource> archive);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;

  // The entry's uncompressed bytes after checking its CRC-32: stored entries point into the
  // archive, deflated ones are inflated into a new buffer. Corrupt on any size or CRC mismatch.
  Result<ByteRange> read(const ZipEntry& entry) const;

 private:
  std::shared_ptr<const ByteSource> archive_;
  std::vector<ZipEntry> entries_;
};

}  // namespace upres::weights
