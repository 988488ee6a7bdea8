// Filters for soft masks, as OpenCV computes them (the face paste-back mask of facexlib):
// erosion with a square kernel and a Gaussian blur. Single-channel images; pure functions,
// thread-safe.
#pragma once

#include <vector>

#include "image/image.h"

namespace upres::image {

// cv2.erode(mask, np.ones((size, size))): the minimum over a size x size window anchored at
// (size / 2, size / 2); samples outside the picture are ignored (OpenCV's default border for
// erosion). size <= 1 returns the mask unchanged. Requires: mask has 1 channel.
Image erode(const Image& mask, int size);

// The 1-D kernel cv2.getGaussianKernel(size, sigma) gives: OpenCV's fixed tables for sizes 1-7
// when sigma <= 0, else samples of exp(-x^2 / (2 sigma^2)) normalised to sum 1; sigma <= 0 means
// 0.3 * ((size - 1) * 0.5 - 1) + 0.8. Requires: size odd and >= 1.
std::vector<float> gaussian_kernel(int size, double sigma);

// cv2.GaussianBlur(mask, (size, size), sigma) with BORDER_REFLECT_101. Requires: 1 channel,
// size odd and >= 1.
Image gaussian_blur(const Image& mask, int size, double sigma = 0);

}  // namespace upres::image
