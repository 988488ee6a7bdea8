// PngRowFilter: PNG's per-row adaptive filtering. Each row is filtered with None, Sub, Up,
// Average and Paeth, and the one whose bytes, read as signed, have the smallest sum of absolute
// values is kept: libpng's default heuristic, so rows compress as libpng's would.
// Not thread-safe: one per thread (it holds a scratch row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace upres::image {

// The filter type byte that starts every filtered row.
enum class PngFilter : uint8_t { kNone = 0, kSub = 1, kUp = 2, kAverage = 3, kPaeth = 4 };

class PngRowFilter {
 public:
  // Rows of `row_bytes` bytes whose pixels are `bytes_per_pixel` bytes (1..8) apart.
  PngRowFilter(size_t row_bytes, int bytes_per_pixel);

  // Writes the chosen filter's type byte and then `row` filtered (row_bytes bytes) to `out`,
  // and returns the filter. `previous` is the raw row above, nullptr for a picture's first row
  // (read as zeros, as PNG defines it). Requires: `out` holds 1 + row_bytes bytes and overlaps
  // neither row.
  PngFilter filter(const uint8_t* previous, const uint8_t* row, uint8_t* out);

 private:
  size_t row_bytes_;
  int bytes_per_pixel_;
  std::vector<uint8_t> scratch_;   // a trial row beside the one in `out`
  std::vector<uint8_t> zero_row_;  // "the row above" of the first row
};

}  // namespace upres::image
