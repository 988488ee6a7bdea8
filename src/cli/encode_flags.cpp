#include "cli/encode_flags.h"

namespace upres::cli {

void add_encode_flags(CLI::App& command, std::string& format, int& quality, bool& lossless) {
  command.add_option("--format", format, "png, jpg, webp or tiff")->capture_default_str();
  command.add_option("--quality", quality, "JPEG/WebP quality 1-100")->capture_default_str();
  command.add_flag("--lossless", lossless, "lossless WebP");
}

Result<image::EncodeOptions> encode_options_from_flags(const std::string& format, int quality, bool lossless) {
  UPRES_ASSIGN_OR_RETURN(const image::ImageFormat parsed, image::parse_image_format(format));
  if (quality < 1 || quality > 100)
    return invalid_argument("--quality: " + std::to_string(quality) + " is out of range [1, 100]");
  return image::EncodeOptions{parsed, quality, lossless};
}

}  // namespace upres::cli
