#include "image/image.h"

#include "image/infotext.h"

#include <cassert>

namespace upres::image {

const std::string* ImageMetadata::find_text(const std::string& key) const {
  for (const auto& [k, v] : text)
    if (k == key) return &v;
  return nullptr;
}

void ImageMetadata::set_text(const std::string& key, std::string value) {
  set_infotext_item(text, key, std::move(value));
}

Image::Image(int width, int height, int channels)
    : width_(width), height_(height), channels_(channels),
      pixels_(static_cast<size_t>(width) * height * channels, 0.0f) {
  assert(width >= 1 && height >= 1 && channels >= 1 && channels <= 4);
}

}  // namespace upres::image
