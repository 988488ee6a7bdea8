// PNG's five scanline filters (PNG specification, section 9) and libpng's choice between them
// (png_write_find_filter in libpng 1.6 pngwutil.c: the minimum sum of absolute differences,
// ties to the earlier filter). Not thread-safe: one PngRowFilter per thread.
#include "image/png_row_filter.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace upres::image {
namespace {

// The bytes read as signed values, summed by magnitude: how libpng scores a filtered row.
size_t signed_magnitude_sum(const uint8_t* bytes, size_t count) {
  size_t sum = 0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<size_t>(std::abs(static_cast<int8_t>(bytes[i])));
  return sum;
}

uint8_t paeth_predictor(int left, int up, int up_left) {
  const int pa = std::abs(up - up_left);
  const int pb = std::abs(left - up_left);
  const int pc = std::abs(left + up - 2 * up_left);
  return static_cast<uint8_t>((pa <= pb && pa <= pc) ? left : (pb <= pc ? up : up_left));
}

// Each filter writes row_bytes bytes to `out` from the raw row `x` and the raw row above `p`;
// the first `bpp` bytes have no left neighbour (read as zero). Every byte depends on raw input
// only, so the loops vectorize.
void filter_sub(const uint8_t* x, const uint8_t*, size_t n, size_t bpp, uint8_t* out) {
  for (size_t i = 0; i < bpp; ++i) out[i] = x[i];
  for (size_t i = bpp; i < n; ++i) out[i] = static_cast<uint8_t>(x[i] - x[i - bpp]);
}

void filter_up(const uint8_t* x, const uint8_t* p, size_t n, size_t, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(x[i] - p[i]);
}

void filter_average(const uint8_t* x, const uint8_t* p, size_t n, size_t bpp, uint8_t* out) {
  for (size_t i = 0; i < bpp; ++i) out[i] = static_cast<uint8_t>(x[i] - (p[i] >> 1));
  for (size_t i = bpp; i < n; ++i)
    out[i] = static_cast<uint8_t>(x[i] - ((unsigned{x[i - bpp]} + p[i]) >> 1));
}

void filter_paeth(const uint8_t* x, const uint8_t* p, size_t n, size_t bpp, uint8_t* out) {
  for (size_t i = 0; i < bpp; ++i) out[i] = static_cast<uint8_t>(x[i] - p[i]);  // Paeth(0, up, 0) = up
  for (size_t i = bpp; i < n; ++i)
    out[i] = static_cast<uint8_t>(x[i] - paeth_predictor(x[i - bpp], p[i], p[i - bpp]));
}

}  // namespace

PngRowFilter::PngRowFilter(size_t row_bytes, int bytes_per_pixel)
    : row_bytes_(row_bytes), bytes_per_pixel_(bytes_per_pixel), scratch_(row_bytes), zero_row_(row_bytes) {}

PngFilter PngRowFilter::filter(const uint8_t* previous, const uint8_t* row, uint8_t* out) {
  using FilterFn = void (*)(const uint8_t*, const uint8_t*, size_t, size_t, uint8_t*);
  constexpr std::pair<PngFilter, FilterFn> kCandidates[] = {{PngFilter::kSub, filter_sub},
                                                            {PngFilter::kUp, filter_up},
                                                            {PngFilter::kAverage, filter_average},
                                                            {PngFilter::kPaeth, filter_paeth}};
  const uint8_t* above = previous != nullptr ? previous : zero_row_.data();
  const size_t bpp = static_cast<size_t>(bytes_per_pixel_);
  // The best row so far (nullptr: None, the row itself) and where the next trial goes; the two
  // buffers, `out` and the scratch row, swap roles whenever a trial wins.
  PngFilter best = PngFilter::kNone;
  size_t best_sum = signed_magnitude_sum(row, row_bytes_);
  const uint8_t* best_bytes = nullptr;
  uint8_t* trial = out + 1;
  for (const auto& [kind, apply] : kCandidates) {
    apply(row, above, row_bytes_, bpp, trial);
    const size_t sum = signed_magnitude_sum(trial, row_bytes_);
    if (sum >= best_sum) continue;
    best = kind;
    best_sum = sum;
    best_bytes = trial;
    trial = trial == out + 1 ? scratch_.data() : out + 1;
  }
  out[0] = static_cast<uint8_t>(best);
  if (best_bytes == nullptr) std::memcpy(out + 1, row, row_bytes_);
  else if (best_bytes != out + 1) std::memcpy(out + 1, best_bytes, row_bytes_);
  return best;
}

}  // namespace upres::image
