#include "outpaint/outpaint.h"

#include <algorithm>
#include <cstring>

#include "outpaint/classic_fills.h"
#include "outpaint/patch_match_fill.h"

namespace upres::outpaint {
namespace {

void paste(const image::Image& input, image::Image& canvas, const Rect& at) {
  const size_t row_samples = static_cast<size_t>(input.width()) * input.channels();
  for (int y = 0; y < input.height(); ++y)
    std::memcpy(&canvas.at(at.x, at.y + y, 0), input.pixels() + y * row_samples, row_samples * sizeof(float));
}

}  // namespace

Result<std::unique_ptr<BorderFill>> make_builtin_fill(const FillSettings& settings) {
  switch (settings.engine) {
    case FillEngine::kPatchMatch: return std::unique_ptr<BorderFill>(new PatchMatchFill(settings));
    case FillEngine::kEdge: return std::unique_ptr<BorderFill>(new EdgeFill());
    case FillEngine::kMirror: return std::unique_ptr<BorderFill>(new MirrorFill());
    case FillEngine::kColor: return std::unique_ptr<BorderFill>(new ColorFill(settings.color, settings.mask_blur_px));
    case FillEngine::kLama: break;
  }
  return unsupported("fill: " + std::string(fill_engine_name(settings.engine)) +
                     " is not available yet (it needs model weights); use patchmatch, edge, mirror or color");
}

Result<image::Image> outpaint(const image::Image& input, const CanvasPlan& plan, const BorderFill& fill,
                              const FillContext& context) {
  if (plan.original.width != input.width() || plan.original.height != input.height())
    return internal_error("outpaint: the plan was made for another picture size");
  if (plan.is_unchanged()) return input;
  image::Image canvas(plan.width, plan.height, input.channels());
  paste(input, canvas, plan.original);
  UPRES_RETURN_IF_ERROR(fill.fill(canvas, plan.original, context));
  paste(input, canvas, plan.original);  // the contract says fills leave it alone; make it certain
  canvas.metadata = input.metadata;
  return canvas;
}

}  // namespace upres::outpaint
