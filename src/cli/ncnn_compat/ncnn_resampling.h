// The resampling the ncnn-vulkan tools do outside their networks: Real-ESRGAN's reflect
// prepadding, ncnn's bicubic Interp for the alpha channel (A = -0.75, half-pixel centres, edge
// clamp), the 8 flips/rotations of TTA mode, and upscayl-bin's sRGB-aware output resize
// (stb_image_resize's uint8_srgb: colour resized in linear light, alpha as is). Pure functions.
#pragma once
#include "image/image.h"

namespace upres::cli::ncnn_compat {

// `image` with `pad` pixels of reflect-101 border on every side (ncnn's preproc: abs() mirror).
image::Image reflect_pad(const image::Image& image, int pad);

// The part of `image` left after cutting `border` pixels from every side.
// Requires: 2 * border < width and height.
image::Image crop_border(const image::Image& image, int border);

// One channel upscaled `scale` times as ncnn's Interp resize_type=3 (bicubic) does.
// Requires: channel.channels() == 1, scale >= 1.
image::Image ncnn_bicubic_upscale(const image::Image& channel, int scale);

// TTA: transform `index` (0..7: flips, then transposed flips) of an image, and its inverse.
image::Image dihedral_transform(const image::Image& image, int index);
image::Image inverse_dihedral_transform(const image::Image& image, int index);

// upscayl-bin's resize of the finished picture to width x height (Catmull-Rom in linear light).
image::Image srgb_aware_resize(const image::Image& image, int width, int height);

}  // namespace upres::cli::ncnn_compat
