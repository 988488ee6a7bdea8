#include "pipeline/face_paste.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "image/mask_filters.h"

namespace upres::pipeline {
namespace {

struct Window {
  int x0 = 0, y0 = 0, width = 0, height = 0;
};

// The part of the picture the warped crop can reach: the bounding box of the crop's corners
// (one pixel beyond its centres, where bilinear sampling still reads it) plus a 2-pixel margin
// of zeros, clipped. Filters run inside it only, which gives the whole-picture result because
// the mask is zero outside it.
Window paste_window(const image::AffineTransform& m, int face_size, int width, int height) {
  double min_x = 1e300, min_y = 1e300, max_x = -1e300, max_y = -1e300;
  for (double cy : {-1.0, static_cast<double>(face_size)}) {
    for (double cx : {-1.0, static_cast<double>(face_size)}) {
      double x, y;
      m.apply(cx, cy, x, y);
      min_x = std::min(min_x, x), max_x = std::max(max_x, x);
      min_y = std::min(min_y, y), max_y = std::max(max_y, y);
    }
  }
  Window w;
  const double x0 = std::max(0.0, std::floor(min_x) - 2), y0 = std::max(0.0, std::floor(min_y) - 2);
  const double x1 = std::min<double>(width, std::ceil(max_x) + 3), y1 = std::min<double>(height, std::ceil(max_y) + 3);
  if (x1 <= x0 || y1 <= y0) return w;
  w.x0 = static_cast<int>(x0), w.y0 = static_cast<int>(y0);
  w.width = static_cast<int>(x1 - x0), w.height = static_cast<int>(y1 - y0);
  return w;
}

// facexlib paste_faces_to_input_image, square-mask branch, upscale_factor 1: returns
// (inv_mask_erosion, inv_soft_mask) for the window.
std::pair<image::Image, image::Image> soft_mask(const image::Image& warped_ones) {
  image::Image eroded = image::erode(warped_ones, 2);
  double area = 0;
  for (size_t i = 0; i < eroded.sample_count(); ++i) area += eroded.pixels()[i];
  const int edge = static_cast<int>(std::sqrt(area)) / 20;
  image::Image centre = image::erode(eroded, edge * 2);
  return {std::move(eroded), image::gaussian_blur(centre, edge * 2 + 1)};
}

}  // namespace

Result<long> paste_face(image::Image& picture, const image::Image& face,
                        const image::AffineTransform& crop_to_picture, const image::Image* parse_mask) {
  if (face.color_channels() != 3 || face.width() != face.height())
    return invalid_argument("paste_face: the restored face must be a square RGB picture");
  if (parse_mask && (parse_mask->width() != face.width() || parse_mask->height() != face.height() ||
                     parse_mask->channels() != 1))
    return invalid_argument("paste_face: the parsing mask must be one channel, the face's size");
  const Window win = paste_window(crop_to_picture, face.width(), picture.width(), picture.height());
  if (win.width == 0) return 0L;
  image::AffineTransform to_window = crop_to_picture;
  to_window.c -= win.x0;
  to_window.f -= win.y0;
  UPRES_ASSIGN_OR_RETURN(image::Image warped_face, image::warp_affine(face, to_window, win.width, win.height));
  image::Image eroded, soft;
  if (parse_mask) {
    // facexlib's parsing branch: the warped parsing mask, and the face pasted as it is.
    UPRES_ASSIGN_OR_RETURN(soft, image::warp_affine(*parse_mask, to_window, win.width, win.height));
    eroded = image::Image(win.width, win.height, 1);
    std::fill(eroded.pixels(), eroded.pixels() + eroded.sample_count(), 1.0f);
  } else {
    image::Image ones(face.width(), face.height(), 1);
    std::fill(ones.pixels(), ones.pixels() + ones.sample_count(), 1.0f);
    UPRES_ASSIGN_OR_RETURN(image::Image warped_mask, image::warp_affine(ones, to_window, win.width, win.height));
    std::tie(eroded, soft) = soft_mask(warped_mask);
  }

  const int colors = picture.color_channels();
  long touched = 0;
  for (int y = 0; y < win.height; ++y) {
    for (int x = 0; x < win.width; ++x) {
      const float m = soft.at(x, y, 0);
      if (m <= 0.0f) continue;
      ++touched;
      const float keep = eroded.at(x, y, 0);
      float rgb[3] = {warped_face.at(x, y, 0), warped_face.at(x, y, 1), warped_face.at(x, y, 2)};
      if (colors == 1) rgb[0] = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];  // PIL "L"
      for (int c = 0; c < colors; ++c) {
        float& out = picture.at(win.x0 + x, win.y0 + y, c);
        out = m * (keep * rgb[c]) + (1 - m) * out;
      }
    }
  }
  return touched;
}

}  // namespace upres::pipeline
