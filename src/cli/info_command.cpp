#include "cli/info_command.h"

#include <cstdio>

#include "image/image_codec.h"

namespace upres::cli {

InfoCommand::InfoCommand(CLI::App& app) {
  command_ = app.add_subcommand("info", "Print an image's infotext and text chunks");
  command_->add_option("files", files_, "image files")->required();
}

int InfoCommand::run() {
  int exit_code = 0;
  for (const std::string& file : files_) {
    auto picture = image::read_image(file);
    if (!picture.is_ok()) {
      std::fprintf(stderr, "upres: %s\n", picture.status().to_string().c_str());
      exit_code = 1;
      continue;
    }
    const image::ImageMetadata& metadata = picture->metadata;
    if (files_.size() > 1) std::printf("%s:\n", file.c_str());
    std::printf("size: %dx%d, %d channels, %d-bit%s%s\n", picture->width(), picture->height(),
                picture->channels(), metadata.bits_per_sample,
                metadata.icc_profile.empty() ? "" : ", ICC profile",
                metadata.exif.empty() ? "" : ", EXIF");
    if (metadata.text.empty()) std::printf("no text chunks\n");
    for (const auto& [key, value] : metadata.text) std::printf("%s: %s\n", key.c_str(), value.c_str());
  }
  return exit_code;
}

}  // namespace upres::cli
