#include "outpaint/known_pyramid.h"

#include "base/parallel_for.h"

namespace upres::outpaint {

Rect half_rect(const Rect& known) {
  const int x0 = (known.x + 1) / 2, y0 = (known.y + 1) / 2;
  const int x1 = known.right() / 2, y1 = known.bottom() / 2;
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

image::Image half_canvas(const image::Image& canvas, const Rect& known, int threads) {
  const Rect half = half_rect(known);
  image::Image out((canvas.width() + 1) / 2, (canvas.height() + 1) / 2, canvas.channels());
  const int channels = canvas.channels();
  parallel_for(half.height, threads, [&](int row) {
    const int y = half.y + row;
    for (int x = half.x; x < half.right(); ++x)
      for (int c = 0; c < channels; ++c)
        out.at(x, y, c) = 0.25f * (canvas.at(2 * x, 2 * y, c) + canvas.at(2 * x + 1, 2 * y, c) +
                                   canvas.at(2 * x, 2 * y + 1, c) + canvas.at(2 * x + 1, 2 * y + 1, c));
  });
  return out;
}

}  // namespace upres::outpaint
