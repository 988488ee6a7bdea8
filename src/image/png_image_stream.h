// PngImageStream: the zlib stream that a PNG's IDAT chunks carry, made on several threads. The
// rows are cut into bands; each band is filtered and deflated on its own, primed with the 32 KiB
// of filtered bytes before it (as pigz primes its blocks), and ends on a byte boundary
// (Z_SYNC_FLUSH), so the pieces concatenate into one valid stream.
// Thread-safe: each call uses only its own state and threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "image/png_scanlines.h"

namespace upres::image {

// Raw bytes a band of rows aims at: a 64x64 picture is one band (no thread is started for it),
// a 4096x4096 RGB picture about 200: several for each of 16 cores.
inline constexpr size_t kPngBandBytes = 256 * 1024;

struct PngEncodeOptions {
  int threads = 0;                    // <= 0: every core
  size_t band_bytes = kPngBandBytes;  // raw bytes per band of rows; shapes the output, unlike threads
  int compression_level = 6;          // zlib's 0..9; 6 is what libvips' pngsave was asked for
};

// The stream as pieces written one after another: the 2-byte zlib header, one raw-deflate piece
// per band, the 4-byte Adler-32 of all filtered rows.
struct PngImageStream {
  std::vector<std::vector<uint8_t>> pieces;

  size_t size_bytes() const;
};

// Filters every row (libpng's adaptive choice, see png_row_filter.h) and deflates them with
// libpng's strategy at options.compression_level on options.threads threads. A band is
// max(1, band_bytes / (row_bytes + 1)) rows; the bytes made depend on band_bytes and the level,
// never on threads. InvalidArgument for a level outside 0..9, Internal when zlib fails,
// ResourceExhausted when it runs out of memory.
Result<PngImageStream> deflate_png_image_stream(const PngScanlines& rows, const PngEncodeOptions& options);

}  // namespace upres::image
