#include "image/image.h"

#include <cassert>

namespace upres::image {

const std::string* ImageMetadata::find_text(const std::string& key) const {
  for (const auto& [k, v] : text)
    if (k == key) return &v;
  return nullptr;
}

void ImageMetadata::set_text(const std::string& key, std::string value) {
  for (auto& [k, v] : text) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  text.emplace_back(key, std::move(value));
}

Image::Image(int width, int height, int channels)
    : width_(width), height_(height), channels_(channels),
      pixels_(static_cast<size_t>(width) * height * channels, 0.0f) {
  assert(width >= 1 && height >= 1 && channels >= 1 && channels <= 4);
}

}  // namespace upres::image
