// The soft paste mask facexlib makes from a face-parsing map (ParseNet's 19 classes): face
// regions 1, background, clothes, hair and neck 0, Gaussian-blurred twice (101 px, sigma 11) and
// zeroed within 10 px of the crop's edge. Pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "image/image.h"

namespace upres::pipeline {

// labels: size x size class indices (row-major), as ParseNet's argmax. Returns a size x size
// one-channel mask in [0, 1]. InvalidArgument when labels.size() != size * size or a label is
// not below 19.
Result<image::Image> face_parse_mask(const std::vector<uint8_t>& labels, int size);

}  // namespace upres::pipeline
