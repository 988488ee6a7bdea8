#include "pipeline/face_parse_mask.h"

#include <string>

#include "image/mask_filters.h"

namespace upres::pipeline {

Result<image::Image> face_parse_mask(const std::vector<uint8_t>& labels, int size) {
  // facexlib MASK_COLORMAP: 0 background, 14 neck, 16 clothes, 17 hair, 18 hat stay out.
  static constexpr bool kPasted[19] = {false, true, true, true, true, true, true, true, true, true,
                                       true,  true, true, true, false, true, false, false, false};
  if (size < 21 || labels.size() != static_cast<size_t>(size) * size)
    return invalid_argument("face parsing: expected " + std::to_string(size) + "x" + std::to_string(size) + " labels");
  image::Image mask(size, size, 1);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= 19) return invalid_argument("face parsing: label " + std::to_string(labels[i]) + " is not a ParseNet class");
    mask.pixels()[i] = kPasted[labels[i]] ? 1.0f : 0.0f;
  }
  mask = image::gaussian_blur(image::gaussian_blur(mask, 101, 11), 101, 11);
  constexpr int kBorder = 10;  // "remove the black borders"
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      if (x < kBorder || y < kBorder || x >= size - kBorder || y >= size - kBorder) mask.at(x, y, 0) = 0;
  return mask;
}

}  // namespace upres::pipeline
