// LamaFill: sides, windows, tiles, scaling, the network call and the cross-fade.
#include "outpaint/lama_fill.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "image/resample.h"
#include "outpaint/classic_fills.h"
#include "outpaint/seam_blend.h"

namespace upres::outpaint {
namespace {

// One added side: `strip` holds its new pixels (corners included for left/right), `window` the
// strip plus the context it reaches into; `vertical` when the strip runs along y.
struct Side {
  Rect strip, window;
  bool vertical = false;
};

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

std::vector<Side> plan_sides(const image::Image& canvas, const Rect& o, int min_context) {
  const int w = canvas.width(), h = canvas.height();
  std::vector<Side> sides;
  auto context = [&](int added, int extent) { return std::min(extent, std::max(added, min_context)); };
  if (o.x > 0) {
    const int reach = o.x + context(o.x, o.width);
    sides.push_back({{0, 0, o.x, h}, {0, 0, reach, h}, true});
  }
  if (o.right() < w) {
    const int added = w - o.right(), reach = added + context(added, o.width);
    sides.push_back({{o.right(), 0, added, h}, {w - reach, 0, reach, h}, true});
  }
  if (o.y > 0) {
    const int reach = o.y + context(o.y, o.height);
    sides.push_back({{0, 0, w, o.y}, {0, 0, w, reach}, false});
  }
  if (o.bottom() < h) {
    const int added = h - o.bottom(), reach = added + context(added, o.height);
    sides.push_back({{0, o.bottom(), w, added}, {0, h - reach, w, reach}, false});
  }
  return sides;
}

// Tiles of one side's window along its long axis: canvas rects and the network size of each.
struct Tile {
  Rect rect;
  int net_width = 0, net_height = 0;
};

std::vector<Tile> plan_tiles(const Side& side, const LamaTiling& t) {
  const int across = side.vertical ? side.window.width : side.window.height;
  const int along = side.vertical ? side.window.height : side.window.width;
  const double scale = std::min(1.0, static_cast<double>(t.tile_px) / across);
  const int minimum = 2 * t.size_multiple;
  const int net_across = std::max(minimum, round_up(static_cast<int>(std::lround(across * scale)), t.size_multiple));
  // One tile when the whole border fits; else tiles of tile_px network pixels overlapping by a quarter.
  const int tile_along = static_cast<int>(std::lround(t.tile_px / scale));
  std::vector<int> starts;
  if (along <= tile_along) {
    starts.push_back(0);
  } else {
    const int step = std::max(1, tile_along * 3 / 4);
    for (int s = 0; s + tile_along < along; s += step) starts.push_back(s);
    starts.push_back(along - tile_along);
  }
  std::vector<Tile> tiles;
  for (int start : starts) {
    const int length = std::min(along, tile_along);
    const int net_along = std::max(minimum, round_up(static_cast<int>(std::lround(length * scale)), t.size_multiple));
    Tile tile;
    if (side.vertical) {
      tile.rect = {side.window.x, side.window.y + start, side.window.width, length};
      tile.net_width = net_across;
      tile.net_height = net_along;
    } else {
      tile.rect = {side.window.x + start, side.window.y, length, side.window.height};
      tile.net_width = net_along;
      tile.net_height = net_across;
    }
    tiles.push_back(tile);
  }
  return tiles;
}

// Weight of a tile's pixel `offset` along a tile of `length`: ramps over the overlap at inner ends.
float along_weight(int offset, int length, bool first, bool last) {
  const float ramp = std::max(1.0f, length / 4.0f);
  float weight = 1.0f;
  if (!first) weight = std::min(weight, (offset + 0.5f) / ramp);
  if (!last) weight = std::min(weight, (length - offset - 0.5f) / ramp);
  return std::max(weight, 1e-3f);
}

}  // namespace

LamaFill::LamaFill(const FillSettings& settings, TileInpainter inpaint, LamaTiling tiling)
    : inpaint_(std::move(inpaint)), tiling_(tiling), blend_px_(settings.mask_blur_px) {}

Status LamaFill::fill(image::Image& canvas, const Rect& original, const FillContext& context) const {
  UPRES_RETURN_IF_ERROR(EdgeFill().fill(canvas, original, context));  // alpha, and a start for the rest
  const int width = canvas.width(), colors = canvas.color_channels();
  std::vector<uint8_t> known(static_cast<size_t>(width) * canvas.height(), 0);
  for (int y = original.y; y < original.bottom(); ++y)
    std::fill_n(known.begin() + static_cast<long>(y) * width + original.x, original.width, uint8_t{1});
  const std::vector<Side> sides = plan_sides(canvas, original, tiling_.min_context_px);
  std::vector<std::vector<Tile>> tiles;
  long total = 0, done = 0;
  for (const Side& side : sides) {
    tiles.push_back(plan_tiles(side, tiling_));
    total += static_cast<long>(tiles.back().size());
  }
  for (size_t s = 0; s < sides.size(); ++s) {
    const Rect& strip = sides[s].strip;
    const size_t strip_pixels = static_cast<size_t>(strip.width) * strip.height;
    std::vector<float> sum(strip_pixels * 3, 0.0f), weight(strip_pixels, 0.0f);
    for (size_t t = 0; t < tiles[s].size(); ++t) {
      if (context.is_cancelled()) return cancelled("outpaint interrupted");
      const Tile& tile = tiles[s][t];
      const Rect& r = tile.rect;
      image::Image rgb(r.width, r.height, 3), mask(r.width, r.height, 1);
      for (int y = 0; y < r.height; ++y) {
        for (int x = 0; x < r.width; ++x) {
          const int cx = r.x + x, cy = r.y + y;
          for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = canvas.at(cx, cy, colors == 1 ? 0 : c);
          mask.at(x, y, 0) = known[static_cast<size_t>(cy) * width + cx] ? 0.0f : 1.0f;
        }
      }
      const int nw = tile.net_width, nh = tile.net_height;
      const bool scaled = nw != r.width || nh != r.height;
      const image::Image net_rgb = scaled ? image::resize(rgb, nw, nh, image::ResampleFilter::kBicubic) : rgb;
      const image::Image net_mask = scaled ? image::resize(mask, nw, nh, image::ResampleFilter::kBicubic) : mask;
      const size_t plane = static_cast<size_t>(nw) * nh;
      std::vector<float> input(4 * plane), output(3 * plane);
      for (int y = 0; y < nh; ++y) {
        for (int x = 0; x < nw; ++x) {
          const size_t i = static_cast<size_t>(y) * nw + x;
          const float m = net_mask.at(x, y, 0) > 0.01f ? 1.0f : 0.0f;  // any unknown pixel under it
          for (int c = 0; c < 3; ++c) input[c * plane + i] = net_rgb.at(x, y, c) * (1.0f - m);
          input[3 * plane + i] = m;
        }
      }
      UPRES_RETURN_IF_ERROR(inpaint_(input.data(), nh, nw, output.data()));
      image::Image made(nw, nh, 3);
      for (int y = 0; y < nh; ++y)
        for (int x = 0; x < nw; ++x)
          for (int c = 0; c < 3; ++c) made.at(x, y, c) = std::clamp(output[c * plane + static_cast<size_t>(y) * nw + x], 0.0f, 1.0f);
      if (scaled) made = image::resize(made, r.width, r.height, image::ResampleFilter::kBicubic);
      const bool first = t == 0, last = t + 1 == tiles[s].size();
      for (int y = 0; y < r.height; ++y) {
        for (int x = 0; x < r.width; ++x) {
          const int cx = r.x + x, cy = r.y + y;
          if (!strip.contains(cx, cy) || known[static_cast<size_t>(cy) * width + cx]) continue;
          const float w = sides[s].vertical ? along_weight(y, r.height, first, last) : along_weight(x, r.width, first, last);
          const size_t i = static_cast<size_t>(cy - strip.y) * strip.width + (cx - strip.x);
          for (int c = 0; c < 3; ++c) sum[i * 3 + c] += w * made.at(x, y, c);
          weight[i] += w;
        }
      }
      if (context.on_progress) context.on_progress(++done, total);
    }
    for (int y = strip.y; y < strip.bottom(); ++y) {
      for (int x = strip.x; x < strip.right(); ++x) {
        const size_t i = static_cast<size_t>(y - strip.y) * strip.width + (x - strip.x);
        uint8_t& is_known = known[static_cast<size_t>(y) * width + x];
        if (is_known || weight[i] <= 0.0f) continue;
        if (colors == 1) {
          canvas.at(x, y, 0) = (sum[i * 3] + sum[i * 3 + 1] + sum[i * 3 + 2]) / (3.0f * weight[i]);
        } else {
          for (int c = 0; c < 3; ++c) canvas.at(x, y, c) = sum[i * 3 + c] / weight[i];
        }
        is_known = 1;
      }
    }
  }
  blend_seam(canvas, original, blend_px_, context.threads);
  return Status::ok();
}

}  // namespace upres::outpaint
