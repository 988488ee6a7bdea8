// Decoding and encoding image files on libvips, keeping alpha, 16-bit depth, ICC profile, EXIF
// (Orientation applied on load) and text chunks. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "image/image.h"

namespace upres::image {

struct DecodeLimits {
  // Refuse images with more decoded pixels than this (decompression bombs).
  int64_t max_pixels = 268'402'689;  // 16383 x 16383, as PIL's default bomb guard allows
};

// Decodes PNG, JPEG, WebP, TIFF, BMP or GIF (first frame). `name` is used in error messages.
// Corrupt for truncated or malformed data, Unsupported for a format that is not an image,
// ResourceExhausted when the image exceeds `limits`.
Result<Image> decode_image(std::span<const uint8_t> bytes, std::string_view name,
                           const DecodeLimits& limits = {});
Result<Image> read_image(const std::filesystem::path& path, const DecodeLimits& limits = {});

// Width and height the decoded picture will have (EXIF Orientation applied), from the header
// alone: no pixels are decoded. Corrupt or Unsupported as read_image says.
Result<std::pair<int, int>> read_image_size(const std::filesystem::path& path);

enum class ImageFormat { kPng, kJpeg, kWebp, kTiff };

// "png", "jpg"/"jpeg", "webp", "tiff"/"tif" (case-insensitive); InvalidArgument otherwise.
Result<ImageFormat> parse_image_format(std::string_view name);
// "png", "jpg", "webp", "tiff": the file extension for a format.
std::string_view format_extension(ImageFormat format);

struct EncodeOptions {
  ImageFormat format = ImageFormat::kPng;
  int quality = 90;       // JPEG and lossy WebP, 1..100
  bool lossless = false;  // WebP only
};

// Encodes with the image's metadata: bits_per_sample 16 is kept for PNG and TIFF (JPEG/WebP are
// 8-bit), the ICC profile and EXIF are embedded, text chunks become PNG tEXt/iTXt chunks. For
// JPEG and WebP the "postprocessing" text (else "parameters") goes into the EXIF UserComment.
Result<std::vector<uint8_t>> encode_image(const Image& image, const EncodeOptions& options);

}  // namespace upres::image
