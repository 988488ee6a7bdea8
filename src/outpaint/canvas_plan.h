// CanvasPlan: where a picture sits on the bigger canvas an outpaint makes, from one of three asks:
// an aspect ratio (the short side grows), an exact size, or pixels per side. The original is
// never scaled or cut: a plan only adds pixels. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace upres::outpaint {

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
  int right() const { return x + width; }    // exclusive
  int bottom() const { return y + height; }  // exclusive
  bool contains(int px, int py) const { return px >= x && px < right() && py >= y && py < bottom(); }
};

// Pixels added on each side.
struct Borders {
  int left = 0, top = 0, right = 0, bottom = 0;
  bool is_zero() const { return left == 0 && top == 0 && right == 0 && bottom == 0; }
};

// Sides the canvas may grow towards (a bit set).
enum Direction : unsigned { kLeft = 1, kRight = 2, kUp = 4, kDown = 8, kAllDirections = 15 };

// Largest canvas side: the most PNG readers, JPEG and libvips' writers agree on.
constexpr int kMaxCanvasSide = 65535;

struct CanvasRequest {
  enum class Mode { kAspect, kSize, kExpand };
  Mode mode = Mode::kAspect;
  double aspect_width = 16, aspect_height = 9;  // kAspect: the ratio, both > 0
  int width = 0, height = 0;                    // kSize: the exact canvas
  Borders expand;                               // kExpand: pixels per side, each >= 0, not all 0
  unsigned directions = kAllDirections;         // kAspect and kSize: where growth may go
  int64_t max_pixels = 268'402'689;             // the decoder's bomb guard (16383 x 16383)
};

struct CanvasPlan {
  int width = 0, height = 0;  // the new canvas
  Rect original;              // where the input sits, pixel for pixel
  Borders added() const {
    return {original.x, original.y, width - original.right(), height - original.bottom()};
  }
  bool is_unchanged() const { return added().is_zero(); }
};

// The plan for a width x height picture. Growth is split evenly between the allowed sides of an
// axis (the odd pixel goes right or down). A picture already at the asked aspect or size gets an
// unchanged plan. InvalidArgument naming the problem when the ask would shrink the picture, needs a
// side `directions` forbids, or is empty; ResourceExhausted past max_pixels or kMaxCanvasSide.
Result<CanvasPlan> plan_canvas(int width, int height, const CanvasRequest& request);

// "16:9", "2.39:1": both parts positive numbers. InvalidArgument otherwise.
Status parse_aspect(std::string_view text, CanvasRequest& request);
// "1920x1080". InvalidArgument otherwise.
Status parse_size(std::string_view text, CanvasRequest& request);
// "L,T,R,B" or one number for all four sides; integers >= 0, not all zero. InvalidArgument otherwise.
Status parse_expand(std::string_view text, CanvasRequest& request);
// "left,right,up,down" in any order and subset ("top"/"bottom" also accepted). InvalidArgument otherwise.
Status parse_directions(std::string_view text, CanvasRequest& request);

// "left,right" for a direction set.
std::string directions_text(unsigned directions);

}  // namespace upres::outpaint
