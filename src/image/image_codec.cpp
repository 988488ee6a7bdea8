// Decoding image files on libvips into Image, and the format names. Thread-safe: libvips is
// started once; every call works on its own images.
#include "image/image_codec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "base/file_io.h"
#include "image/exif_block.h"
#include "image/png_text_chunks.h"
#include "image/vips_runtime.h"

namespace upres::image {
namespace {

// libvips loaders upres accepts; anything else (SVG, PDF, FITS...) is Unsupported.
bool is_accepted_loader(std::string_view loader, std::span<const uint8_t> bytes) {
  static constexpr std::array<std::string_view, 5> kLoaders = {
      "VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer",
      "VipsForeignLoadTiffBuffer", "VipsForeignLoadNsgifBuffer"};
  if (std::find(kLoaders.begin(), kLoaders.end(), loader) != kLoaders.end()) return true;
  // BMP reaches libvips through ImageMagick; accept only the BMP signature there.
  return loader == "VipsForeignLoadMagickBuffer" && bytes.size() >= 2 && bytes[0] == 'B' &&
         bytes[1] == 'M';
}

std::vector<uint8_t> blob_field(const vips::VImage& image, const char* field) {
  if (image.get_typeof(field) == 0) return {};
  size_t length = 0;
  const auto* data = static_cast<const uint8_t*>(image.get_blob(field, &length));
  return std::vector<uint8_t>(data, data + length);
}

bool needs_colour_conversion(const vips::VImage& image) {
  const VipsInterpretation kind = image.interpretation();
  return kind == VIPS_INTERPRETATION_CMYK || kind == VIPS_INTERPRETATION_LAB ||
         kind == VIPS_INTERPRETATION_LABS || kind == VIPS_INTERPRETATION_XYZ ||
         kind == VIPS_INTERPRETATION_scRGB;
}

// Brings a decoded image to 1-4 bands of uchar or ushort in grey or sRGB; throws VError.
Result<vips::VImage> normalize_bands(vips::VImage image, std::string_view name) {
  if (needs_colour_conversion(image)) {
    const bool deep = image.format() == VIPS_FORMAT_USHORT;
    image = image.colourspace(deep ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB);
  }
  if (image.bands() > 4)
    return unsupported(std::string(name) + ": " + std::to_string(image.bands()) +
                       " channels (upres handles 1 to 4)");
  switch (image.format()) {
    case VIPS_FORMAT_UCHAR:
    case VIPS_FORMAT_USHORT:
      return image;
    case VIPS_FORMAT_FLOAT:
    case VIPS_FORMAT_DOUBLE:  // float samples are taken as [0, 1] and kept at 16 bits
      return (image.cast(VIPS_FORMAT_FLOAT) * 65535.0 + 0.5).cast(VIPS_FORMAT_USHORT);  // cast clips
    default:
      return unsupported(std::string(name) + ": sample format '" +
                         vips_enum_nick(VIPS_TYPE_BAND_FORMAT, image.format()) +
                         "' (upres reads 8- and 16-bit unsigned and float images)");
  }
}

// GIF frames always come out of libvips as RGBA; an alpha that is opaque everywhere is not the
// file's, so it is dropped rather than carried through every later step.
vips::VImage drop_synthetic_alpha(const vips::VImage& decoded, const vips::VImage& header) {
  const bool is_gif = header.get_typeof("vips-loader") != 0 &&
                      std::string_view(header.get_string("vips-loader")).starts_with("gifload");
  if (!is_gif || decoded.bands() != 4 || decoded.extract_band(3).min() < 255.0) return decoded;
  return decoded.extract_band(0, vips::VImage::option()->set("n", 3));
}

Image to_float_image(const vips::VImage& decoded) {
  Image image(decoded.width(), decoded.height(), decoded.bands());
  size_t size = 0;
  void* memory = decoded.write_to_memory(&size);
  float* out = image.pixels();
  const size_t count = image.sample_count();
  if (decoded.format() == VIPS_FORMAT_USHORT) {
    const auto* in = static_cast<const uint16_t*>(memory);
    for (size_t i = 0; i < count; ++i) out[i] = in[i] / 65535.0f;
    image.metadata.bits_per_sample = 16;
  } else {
    const auto* in = static_cast<const uint8_t*>(memory);
    for (size_t i = 0; i < count; ++i) out[i] = in[i] / 255.0f;
  }
  g_free(memory);
  return image;
}

// ICC profile, EXIF (Orientation reset) and text chunks of the file.
Status read_metadata(const vips::VImage& header, std::span<const uint8_t> bytes,
                     std::string_view name, ImageMetadata& metadata) {
  metadata.icc_profile = blob_field(header, VIPS_META_ICC_NAME);
  metadata.exif = blob_field(header, VIPS_META_EXIF_NAME);
  if (!metadata.exif.empty()) reset_exif_orientation(metadata.exif);
  if (is_png(bytes)) {
    UPRES_ASSIGN_OR_RETURN(metadata.text, read_png_text_chunks(bytes, name));
  }
  if (!metadata.exif.empty() && metadata.find_text("parameters") == nullptr) {
    std::optional<std::string> comment = read_exif_user_comment(metadata.exif);
    if (comment && !comment->empty()) metadata.set_text("parameters", std::move(*comment));
  }
  return Status::ok();
}

Result<Image> decode_with_vips(std::span<const uint8_t> bytes, std::string_view name,
                               const DecodeLimits& limits) {
  vips::VImage header;
  try {
    header = vips::VImage::new_from_buffer(
        bytes.data(), bytes.size(), "",
        vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", VIPS_FAIL_ON_ERROR));
  } catch (const vips::VError& error) {
    return status_from_vips_error(StatusCode::kCorrupt, name, "cannot read the image header", error);
  }
  const int64_t pixels = int64_t{header.width()} * header.height();
  if (pixels > limits.max_pixels)
    return resource_exhausted(std::string(name) + ": " + std::to_string(header.width()) + "x" +
                              std::to_string(header.height()) + " is " + std::to_string(pixels) +
                              " pixels, over the limit of " + std::to_string(limits.max_pixels) +
                              " (decompression bomb guard)");
  Image image;
  try {
    UPRES_ASSIGN_OR_RETURN(vips::VImage decoded, normalize_bands(header, name));
    decoded = decoded.copy_memory();  // the one sequential pass that decodes every pixel
    const bool rotated = header.get_typeof(VIPS_META_ORIENTATION) != 0 &&
                         header.get_int(VIPS_META_ORIENTATION) != 1;
    if (rotated) decoded = decoded.autorot();
    image = to_float_image(drop_synthetic_alpha(decoded, header));
  } catch (const vips::VError& error) {
    return status_from_vips_error(StatusCode::kCorrupt, name, "cannot decode the pixels", error);
  }
  UPRES_RETURN_IF_ERROR(read_metadata(header, bytes, name, image.metadata));
  // A CMYK or Lab profile does not describe the sRGB pixels upres made from it.
  if (needs_colour_conversion(header)) image.metadata.icc_profile.clear();
  return image;
}

}  // namespace

Result<Image> decode_image(std::span<const uint8_t> bytes, std::string_view name,
                           const DecodeLimits& limits) {
  UPRES_RETURN_IF_ERROR(ensure_vips_started());
  if (bytes.empty()) return corrupt(std::string(name) + ": the file is empty");
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (loader == nullptr || !is_accepted_loader(loader, bytes)) {
    vips_error_clear();
    return unsupported(std::string(name) +
                       ": not an image upres reads (PNG, JPEG, WebP, TIFF, BMP or GIF)");
  }
  return decode_with_vips(bytes, name, limits);
}

Result<Image> read_image(const std::filesystem::path& path, const DecodeLimits& limits) {
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  return decode_image(bytes, path.string(), limits);
}

Result<std::pair<int, int>> read_image_size(const std::filesystem::path& path) {
  UPRES_RETURN_IF_ERROR(ensure_vips_started());
  const std::string name = path.string();
  try {
    vips::VImage header = vips::VImage::new_from_file(
        name.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    const int orientation = header.get_typeof(VIPS_META_ORIENTATION) != 0 ? header.get_int(VIPS_META_ORIENTATION) : 1;
    if (orientation >= 5 && orientation <= 8) return std::pair{header.height(), header.width()};
    return std::pair{header.width(), header.height()};
  } catch (const vips::VError& error) {
    return status_from_vips_error(StatusCode::kCorrupt, name, "cannot read the image header", error);
  }
}

Result<ImageFormat> parse_image_format(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "png") return ImageFormat::kPng;
  if (lower == "jpg" || lower == "jpeg") return ImageFormat::kJpeg;
  if (lower == "webp") return ImageFormat::kWebp;
  if (lower == "tiff" || lower == "tif") return ImageFormat::kTiff;
  return invalid_argument("unknown image format '" + std::string(name) +
                          "' (expected png, jpg, webp or tiff)");
}

std::string_view format_extension(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng: return "png";
    case ImageFormat::kJpeg: return "jpg";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kTiff: return "tiff";
  }
  return "png";
}

}  // namespace upres::image
