// PNG's raw row bytes over upres's quantized samples; 16-bit rows are byte-swapped on
// little-endian hosts. Thread-safe.
#include "image/png_scanlines.h"

#include <bit>
#include <cassert>

namespace upres::image {

PngScanlines::PngScanlines(std::span<const uint8_t> samples, int width, int height, int bands)
    : narrow_(samples.data()), width_(width), height_(height), bands_(bands) {
  assert(samples.size() == static_cast<size_t>(width) * height * bands);
}

PngScanlines::PngScanlines(std::span<const uint16_t> samples, int width, int height, int bands)
    : wide_(samples.data()), width_(width), height_(height), bands_(bands) {
  assert(samples.size() == static_cast<size_t>(width) * height * bands);
}

const uint8_t* PngScanlines::row(int y, uint8_t* swap_row) const {
  const size_t samples_per_row = static_cast<size_t>(width_) * bands_;
  if (narrow_ != nullptr) return narrow_ + samples_per_row * y;
  const uint16_t* in = wide_ + samples_per_row * y;
  if constexpr (std::endian::native == std::endian::big) return reinterpret_cast<const uint8_t*>(in);
  for (size_t i = 0; i < samples_per_row; ++i) {
    swap_row[2 * i] = static_cast<uint8_t>(in[i] >> 8);
    swap_row[2 * i + 1] = static_cast<uint8_t>(in[i]);
  }
  return swap_row;
}

}  // namespace upres::image
