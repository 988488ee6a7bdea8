// The PNG file around the image stream: signature, IHDR, iCCP, eXIf, text chunks, IDAT chunks
// (their bytes copied and CRCs computed in parallel) and IEND. Thread-safe.
#include "image/png_encoder.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "base/parallel_for.h"
#include "image/exif_block.h"
#include "image/png_chunk.h"
#include "image/png_text_chunks.h"

namespace upres::image {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
constexpr size_t kIdatBytes = 1 << 20;  // stream bytes per IDAT chunk
constexpr int kMaxDimension = 0x7FFFFFFF;

uint32_t read_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool has_tag(std::span<const uint8_t> bytes, size_t offset, const char* tag) {
  return std::memcmp(bytes.data() + offset, tag, 4) == 0;
}

Status check_layout(PngLayout layout, size_t sample_count) {
  if (layout.width < 1 || layout.height < 1)
    return invalid_argument("PNG encoder: the picture is " + std::to_string(layout.width) + "x" +
                            std::to_string(layout.height) + "; PNG needs a width and height of 1.." +
                            std::to_string(kMaxDimension));
  if (layout.bands < 1 || layout.bands > 4)
    return invalid_argument("PNG encoder: " + std::to_string(layout.bands) +
                            " bands; PNG holds 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)");
  const size_t expected = static_cast<size_t>(layout.width) * layout.height * layout.bands;
  if (sample_count != expected)
    return invalid_argument("PNG encoder: " + std::to_string(sample_count) + " samples for a " +
                            std::to_string(layout.width) + "x" + std::to_string(layout.height) + "x" +
                            std::to_string(layout.bands) + " picture, which has " + std::to_string(expected));
  return Status::ok();
}

Status check_metadata(const PngMetadata& metadata, int bands) {
  if (!metadata.icc_profile.empty() && !icc_profile_fits_png(metadata.icc_profile, bands))
    return invalid_argument("PNG encoder: the ICC profile (" + std::to_string(metadata.icc_profile.size()) +
                            " bytes) is malformed or not for a " + (bands <= 2 ? "grey" : "colour") + " picture");
  if (!metadata.exif.empty() && exif_tiff_structure(metadata.exif).empty())
    return invalid_argument("PNG encoder: the EXIF block (" + std::to_string(metadata.exif.size()) +
                            " bytes) is not a TIFF structure");
  return Status::ok();
}

void append_header(std::vector<uint8_t>& out, const PngScanlines& rows) {
  static constexpr uint8_t kColorType[5] = {0, 0, 4, 2, 6};  // by band count: grey, grey+alpha, RGB, RGBA
  out.insert(out.end(), std::begin(kSignature), std::end(kSignature));
  uint8_t ihdr[13] = {};
  store_png_u32(ihdr, static_cast<uint32_t>(rows.width()));
  store_png_u32(ihdr + 4, static_cast<uint32_t>(rows.height()));
  ihdr[8] = static_cast<uint8_t>(rows.bits_per_sample());
  ihdr[9] = kColorType[rows.bands()];
  // Compression 0 (deflate), filter method 0 (adaptive), no interlace.
  append_png_chunk(out, "IHDR", ihdr);
}

Status append_icc_chunk(std::vector<uint8_t>& out, std::span<const uint8_t> profile) {
  // The name libvips gives it, a NUL, compression method 0, the zlib-compressed profile.
  std::vector<uint8_t> body = {'i', 'c', 'c', 0, 0};
  uLongf compressed = compressBound(profile.size());
  body.resize(body.size() + compressed);
  const int rc = compress2(body.data() + 5, &compressed, profile.data(), profile.size(), Z_DEFAULT_COMPRESSION);
  if (rc != Z_OK)
    return internal_error("PNG encoder: zlib could not compress the ICC profile (" + std::to_string(rc) + ")");
  body.resize(5 + compressed);
  append_png_chunk(out, "iCCP", body);
  return Status::ok();
}

// Appends the IDAT chunks carrying `stream` and then IEND. Each chunk gathers its slice of the
// pieces and computes its CRC on its own, so big outputs use every core here too.
void append_image_data(std::vector<uint8_t>& out, const PngImageStream& stream, int threads) {
  std::vector<size_t> piece_starts;  // offset of each piece in the stream
  size_t total = 0;
  for (const auto& piece : stream.pieces) {
    piece_starts.push_back(total);
    total += piece.size();
  }
  const size_t chunk_count = (total + kIdatBytes - 1) / kIdatBytes;
  const size_t start = out.size();
  out.resize(start + total + 12 * chunk_count);
  parallel_for(static_cast<int>(chunk_count), threads, [&](int k) {
    const size_t begin = k * kIdatBytes;
    const size_t end = std::min(total, begin + kIdatBytes);
    uint8_t* chunk = out.data() + start + k * (kIdatBytes + 12);
    store_png_u32(chunk, static_cast<uint32_t>(end - begin));
    std::memcpy(chunk + 4, "IDAT", 4);
    size_t piece = std::upper_bound(piece_starts.begin(), piece_starts.end(), begin) - piece_starts.begin() - 1;
    for (size_t at = begin; at < end; ++piece) {
      const size_t skip = at - piece_starts[piece];
      const size_t take = std::min(stream.pieces[piece].size() - skip, end - at);
      std::memcpy(chunk + 8 + (at - begin), stream.pieces[piece].data() + skip, take);
      at += take;
    }
    store_png_u32(chunk + 8 + (end - begin), static_cast<uint32_t>(crc32_z(0, chunk + 4, 4 + end - begin)));
  });
  append_png_chunk(out, "IEND", {});
}

Result<std::vector<uint8_t>> encode_scanlines(const PngScanlines& rows, const PngMetadata& metadata,
                                              const PngEncodeOptions& options) {
  UPRES_RETURN_IF_ERROR(check_metadata(metadata, rows.bands()));
  UPRES_ASSIGN_OR_RETURN(PngImageStream stream, deflate_png_image_stream(rows, options));
  std::vector<uint8_t> out;
  out.reserve(1024 + metadata.icc_profile.size() + metadata.exif.size() + stream.size_bytes() +
              stream.size_bytes() / kIdatBytes * 12);
  append_header(out, rows);
  if (!metadata.icc_profile.empty()) UPRES_RETURN_IF_ERROR(append_icc_chunk(out, metadata.icc_profile));
  if (!metadata.exif.empty()) append_png_chunk(out, "eXIf", exif_tiff_structure(metadata.exif));
  UPRES_RETURN_IF_ERROR(append_png_text_chunks(out, metadata.text));
  append_image_data(out, stream, options.threads);
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> encode_png(std::span<const uint8_t> samples, PngLayout layout,
                                        const PngMetadata& metadata, const PngEncodeOptions& options) {
  UPRES_RETURN_IF_ERROR(check_layout(layout, samples.size()));
  return encode_scanlines(PngScanlines(samples, layout.width, layout.height, layout.bands), metadata, options);
}

Result<std::vector<uint8_t>> encode_png(std::span<const uint16_t> samples, PngLayout layout,
                                        const PngMetadata& metadata, const PngEncodeOptions& options) {
  UPRES_RETURN_IF_ERROR(check_layout(layout, samples.size()));
  return encode_scanlines(PngScanlines(samples, layout.width, layout.height, layout.bands), metadata, options);
}

bool icc_profile_fits_png(std::span<const uint8_t> profile, int bands) {
  // The checks of libpng's png_icc_check_length, _header and _tag_table that refuse a profile.
  if (profile.size() < 132 || read_u32(profile.data()) != profile.size()) return false;
  if (!has_tag(profile, 36, "acsp")) return false;
  if (!has_tag(profile, 16, bands <= 2 ? "GRAY" : "RGB ")) return false;
  if (has_tag(profile, 12, "abst") || has_tag(profile, 12, "link")) return false;
  if (!has_tag(profile, 20, "XYZ ") && !has_tag(profile, 20, "Lab ")) return false;
  const size_t tag_count = read_u32(profile.data() + 128);
  if (tag_count > (profile.size() - 132) / 12) return false;
  for (size_t t = 0; t < tag_count; ++t) {
    const uint8_t* entry = profile.data() + 132 + 12 * t;
    const size_t offset = read_u32(entry + 4), length = read_u32(entry + 8);
    if (offset > profile.size() || length > profile.size() - offset) return false;
  }
  return true;
}

}  // namespace upres::image
