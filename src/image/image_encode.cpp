// Encoding an Image with its metadata: PNG through upres's own parallel writer (png_encoder.h),
// JPEG, WebP and TIFF on libvips with the ICC profile and EXIF, JPEG/WebP infotext in the EXIF
// UserComment. Thread-safe.
#include <glib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <span>

#include "image/exif_block.h"
#include "image/image_codec.h"
#include "image/png_encoder.h"
#include "image/vips_runtime.h"

namespace upres::image {
namespace {

bool is_sixteen_bit(const Image& image, ImageFormat format) {
  return image.metadata.bits_per_sample == 16 &&
         (format == ImageFormat::kPng || format == ImageFormat::kTiff);
}

// Samples rounded to 8 or 16 bits; JPEG has no alpha, so it is dropped there (as PIL's
// convert("RGB") does) rather than composited.
template <typename T>
using Samples = std::vector<T, BufferAllocator<T>>;  // huge pages: cheap to fault in

template <typename T>
Samples<T> quantize(const Image& image, int bands, float max_value) {
  const int channels = image.channels();
  const size_t pixel_count = static_cast<size_t>(image.width()) * image.height();
  Samples<T> out(pixel_count * bands);
  const float* in = image.pixels();
  for (size_t p = 0; p < pixel_count; ++p) {
    for (int c = 0; c < bands; ++c) {
      const float v = std::clamp(in[p * channels + c], 0.0f, 1.0f);
      out[p * bands + c] = static_cast<T>(v * max_value + 0.5f);
    }
  }
  return out;
}

int free_blob(void* data, void* /*unused*/) {
  g_free(data);
  return 0;
}

void set_blob(vips::VImage& image, const char* field, std::span<const uint8_t> bytes) {
  void* copy = g_memdup2(bytes.data(), bytes.size());
  image.set(field, free_blob, copy, bytes.size());
}

// The EXIF block to embed: the image's own, plus the infotext as UserComment for JPEG/WebP.
Result<std::vector<uint8_t>> exif_to_embed(const ImageMetadata& metadata, ImageFormat format) {
  if (format != ImageFormat::kJpeg && format != ImageFormat::kWebp) return metadata.exif;
  const std::string* comment = metadata.find_text("postprocessing");
  if (comment == nullptr) comment = metadata.find_text("parameters");
  if (comment == nullptr) return metadata.exif;
  return set_exif_user_comment(metadata.exif, *comment);
}

// Owns the encoded bytes libvips returns.
struct BlobUnref {
  void operator()(VipsBlob* blob) const { vips_area_unref(reinterpret_cast<VipsArea*>(blob)); }
};
using BlobPtr = std::unique_ptr<VipsBlob, BlobUnref>;

std::span<const uint8_t> bytes_of(const BlobPtr& blob) {
  size_t length = 0;
  const auto* data = static_cast<const uint8_t*>(vips_blob_get(blob.get(), &length));
  return {data, length};
}

BlobPtr save_to_blob(const vips::VImage& image, const EncodeOptions& options) {
  VipsBlob* blob = nullptr;
  switch (options.format) {
    case ImageFormat::kPng:  // encode_png_image writes PNG
      break;
    case ImageFormat::kJpeg:
      blob = image.jpegsave_buffer(vips::VImage::option()->set("Q", options.quality));
      break;
    case ImageFormat::kWebp:
      blob = image.webpsave_buffer(vips::VImage::option()->set("Q", options.quality)
                                       ->set("lossless", options.lossless));
      break;
    case ImageFormat::kTiff:
      blob = image.tiffsave_buffer(
          vips::VImage::option()->set("compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE));
      break;
  }
  return BlobPtr(blob);
}

// The metadata libpng refused when libvips wrote PNGs (a profile for another colour space, an
// EXIF block that is not a TIFF structure) is left out here too, rather than failing the save.
Result<std::vector<uint8_t>> encode_png_image(const Image& image) {
  PngMetadata metadata;
  if (icc_profile_fits_png(image.metadata.icc_profile, image.channels()))
    metadata.icc_profile = image.metadata.icc_profile;
  // The size the EXIF records is the camera's: set it to this picture's, as libvips does for JPEG.
  const std::span<const uint8_t> payload = exif_tiff_structure(image.metadata.exif);
  std::vector<uint8_t> exif(payload.begin(), payload.end());
  set_exif_pixel_dimensions(exif, static_cast<uint32_t>(image.width()), static_cast<uint32_t>(image.height()));
  metadata.exif = exif;
  metadata.text = image.metadata.text;
  const PngLayout layout{image.width(), image.height(), image.channels()};
  // zlib level 4, not 6: on filtered rows 6 took 3.6x the time for files 6% smaller (a 4096^2
  // upscaled photo, bench/png_encode_throughput); at 4 saving is faster than libvips' unfiltered
  // level 6 was from two cores up, with files half the size.
  const PngEncodeOptions options{.compression_level = 4};
  if (is_sixteen_bit(image, ImageFormat::kPng))
    return encode_png(quantize<uint16_t>(image, layout.bands, 65535.0f), layout, metadata, options);
  return encode_png(quantize<uint8_t>(image, layout.bands, 255.0f), layout, metadata, options);
}

}  // namespace

Result<std::vector<uint8_t>> encode_image(const Image& image, const EncodeOptions& options) {
  UPRES_RETURN_IF_ERROR(ensure_vips_started());
  if (image.empty()) return invalid_argument("encode_image: the image is empty");
  if (options.quality < 1 || options.quality > 100)
    return invalid_argument("encode_image: quality " + std::to_string(options.quality) +
                            " is outside 1..100");
  if (options.format == ImageFormat::kPng) return encode_png_image(image);
  const bool sixteen_bit = is_sixteen_bit(image, options.format);
  const int bands = options.format == ImageFormat::kJpeg ? image.color_channels() : image.channels();
  const bool grey = image.color_channels() == 1;
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> exif, exif_to_embed(image.metadata, options.format));
  BlobPtr encoded;
  try {
    // Scoped so the quantized samples (192 MiB for an 8192^2 RGB picture) are gone before the
    // encoded bytes are copied out.
    Samples<uint16_t> deep;
    Samples<uint8_t> shallow;
    vips::VImage vimage;
    if (sixteen_bit) {
      deep = quantize<uint16_t>(image, bands, 65535.0f);
      vimage = vips::VImage::new_from_memory(deep.data(), deep.size() * 2, image.width(),
                                             image.height(), bands, VIPS_FORMAT_USHORT);
    } else {
      shallow = quantize<uint8_t>(image, bands, 255.0f);
      vimage = vips::VImage::new_from_memory(shallow.data(), shallow.size(), image.width(),
                                             image.height(), bands, VIPS_FORMAT_UCHAR);
    }
    const VipsInterpretation kind = grey ? (sixteen_bit ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W)
                                         : (sixteen_bit ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB);
    vimage = vimage.copy(vips::VImage::option()->set("interpretation", kind));
    if (!image.metadata.icc_profile.empty()) set_blob(vimage, VIPS_META_ICC_NAME, image.metadata.icc_profile);
    if (!exif.empty()) set_blob(vimage, VIPS_META_EXIF_NAME, exif);
    encoded = save_to_blob(vimage, options);
  } catch (const vips::VError& error) {
    return status_from_vips_error(StatusCode::kInternal, format_extension(options.format),
                                  "libvips could not encode the image", error);
  }
  const std::span<const uint8_t> bytes = bytes_of(encoded);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace upres::image
