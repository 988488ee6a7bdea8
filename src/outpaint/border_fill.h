// BorderFill: one way of synthesising the pixels of a canvas outside the original's rectangle.
// Implementations are immutable after construction: fill() may run on several canvases at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "base/result.h"
#include "image/image.h"
#include "outpaint/canvas_plan.h"
#include "outpaint/fill_engine.h"

namespace upres::outpaint {

struct FillContext {
  std::function<void(long done, long total)> on_progress;  // may be empty
  const std::atomic<bool>* cancel = nullptr;               // set: stop soon with Cancelled
  int threads = 0;                                         // 0 = usable_threads() (base/thread_budget.h)
  bool is_cancelled() const { return cancel && cancel->load(); }
};

class BorderFill {
 public:
  virtual ~BorderFill() = default;
  // Writes every canvas pixel outside `original` and none inside it.
  // Requires: `original` lies inside the canvas and holds the picture. Cancelled when asked to stop.
  virtual Status fill(image::Image& canvas, const Rect& original, const FillContext& context) const = 0;
};

// The fills built into this module: patchmatch, edge, mirror, color. Unsupported for engines that
// need model weights (lama): the pipeline owns those.
Result<std::unique_ptr<BorderFill>> make_builtin_fill(const FillSettings& settings);

}  // namespace upres::outpaint
