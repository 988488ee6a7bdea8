// run_outpaint: one outpaint of one picture (plan the canvas, fill the border, write the infotext),
// the check a batch runs before it writes anything, and the fill factory where model-based fills
// (LaMa) plug in. Thread-compatible.
#pragma once

#include <memory>

#include "image/infotext.h"
#include "outpaint/border_fill.h"
#include "pipeline/input_list.h"
#include "pipeline/outpaint_request.h"
#include "pipeline/progress.h"
#include "pipeline/run_extras.h"

namespace upres::pipeline {

// The fill for `settings`: the built-in ones from outpaint/; model-based engines (LaMa) belong
// here, where the model store is in reach. Unsupported, naming the engine, for one not built yet.
Result<std::unique_ptr<outpaint::BorderFill>> make_border_fill(const outpaint::FillSettings& settings);

// Places `input` on `plan`'s canvas and fills the border, reporting progress as "<Fill> outpaint".
// Cancelled when `progress` is cancelled.
Result<image::Image> outpaint_picture(const image::Image& input, const outpaint::CanvasPlan& plan,
                                      const outpaint::FillSettings& settings, Progress& progress);

// The infotext items of an outpaint, in this order: Postprocess outpaint to, expand (L,T,R,B),
// fill, mask blur, seed (PatchMatch), color (when given).
void add_outpaint_infotext(image::InfotextItems& items, const outpaint::CanvasPlan& plan,
                           const outpaint::FillSettings& settings);

// Requires: request.validate() is OK. The plan's error (InvalidArgument, ResourceExhausted) when
// the picture cannot grow as asked; the fill's error; Cancelled.
Result<ExtrasResult> run_outpaint(const image::Image& input, const OutpaintRequest& request, Progress& progress);

// Plans every readable input of a batch from its header (no pixels decoded): the first plan error,
// naming the file, so a bad ask fails before anything is written. Unreadable files are left for
// the batch to report.
Status check_outpaint_inputs(const InputList& inputs, const OutpaintRequest& request);

}  // namespace upres::pipeline
