// PngScanlines: interleaved 8- or 16-bit samples seen as PNG's raw rows, the bytes the filters
// work on: 8-bit samples as they are, 16-bit samples big-endian. A view: the samples must
// outlive it. Thread-safe (const; each caller brings its own swap row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace upres::image {

class PngScanlines {
 public:
  // Rows top to bottom, no padding, 16-bit samples in the host's byte order.
  // Requires: width, height >= 1; bands in 1..4; samples.size() == width * height * bands.
  PngScanlines(std::span<const uint8_t> samples, int width, int height, int bands);
  PngScanlines(std::span<const uint16_t> samples, int width, int height, int bands);

  int width() const { return width_; }
  int height() const { return height_; }
  int bands() const { return bands_; }
  int bits_per_sample() const { return wide_ != nullptr ? 16 : 8; }
  int bytes_per_pixel() const { return bands_ * bits_per_sample() / 8; }
  size_t row_bytes() const { return static_cast<size_t>(width_) * bytes_per_pixel(); }

  // Row `y` as PNG stores it: a pointer into the samples where their byte order already is
  // PNG's, else `swap_row` (row_bytes() bytes) filled with the big-endian samples.
  const uint8_t* row(int y, uint8_t* swap_row) const;

 private:
  const uint8_t* narrow_ = nullptr;
  const uint16_t* wide_ = nullptr;
  int width_;
  int height_;
  int bands_;
};

}  // namespace upres::image
