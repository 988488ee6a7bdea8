// encode_png: upres's own PNG writer for 8- and 16-bit grey, grey+alpha, RGB and RGBA pictures,
// with their ICC profile (iCCP), EXIF (eXIf) and text chunks. The rows are filtered and deflated
// on every core (png_image_stream.h); the bytes written do not depend on the thread count.
// Thread-safe: each call uses only its own state and threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "image/png_image_stream.h"

namespace upres::image {

// The picture's shape: `bands` 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
struct PngLayout {
  int width = 0;
  int height = 0;
  int bands = 0;
};

// What the file carries besides its pixels; views that the caller keeps alive.
struct PngMetadata {
  // An iCCP chunk named "icc" when not empty. Requires what libpng requires of it (see
  // icc_profile_fits_png); InvalidArgument otherwise.
  std::span<const uint8_t> icc_profile = {};
  // An eXIf chunk before the image data (where libvips and PIL look) when not empty: a TIFF
  // structure, with or without the "Exif\0\0" prefix (left out of the chunk, as libvips does);
  // InvalidArgument otherwise.
  std::span<const uint8_t> exif = {};
  // tEXt or iTXt chunks before the image data, in order (png_text_chunks.h).
  std::span<const std::pair<std::string, std::string>> text = {};
};

// A PNG file of `samples` (interleaved, rows top to bottom, no padding; 16-bit samples in the
// host's byte order), deflated as `options` say (png_image_stream.h). InvalidArgument for a width or height outside
// 1..2^31-1, bands outside 1..4, a sample count that is not width * height * bands, or metadata
// that breaks the rules above, or a compression level outside 0..9.
Result<std::vector<uint8_t>> encode_png(std::span<const uint8_t> samples, PngLayout layout,
                                        const PngMetadata& metadata, const PngEncodeOptions& options = {});
Result<std::vector<uint8_t>> encode_png(std::span<const uint16_t> samples, PngLayout layout,
                                        const PngMetadata& metadata, const PngEncodeOptions& options = {});

// True when `profile` is one libpng would write into a PNG of `bands` bands: an ICC header of the
// profile's own length, the "acsp" signature, and the colour space PNG allows (GRAY for 1-2 bands,
// RGB for 3-4).
bool icc_profile_fits_png(std::span<const uint8_t> profile, int bands);

}  // namespace upres::image
