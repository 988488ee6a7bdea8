// One /sdapi/v1 extras picture as the reference runs it, the PictureWork the job queue runs for
// extra-single-image and extra-batch-images:
// - upscaling_resize below 1 (the reference accepts any value > 0): its Upscaler.upscale never
//   runs a model to shrink, it Lanczos-resizes to the target, and faces are restored as usual;
// - the answer's PNG text as its encode_pil_to_base64 writes it: the source's items, its
//   `parameters` moved after them (read_info_from_image pops and re-adds it), then
//   `postprocessing`; no `extras` item (only saved files get one).
// Immutable; thread-safe.
#pragma once

#include <memory>

#include "pipeline/extras_request.h"
#include "pipeline/face_models.h"
#include "pipeline/upscaler_registry.h"
#include "server/job.h"

namespace upres::server {

// Requires: the upscaler names are in `registry`; request.validate() is OK, except that a
// kScaleBy factor may be anywhere in (0, 1).
std::shared_ptr<const PictureWork> make_sdapi_extras_work(pipeline::ExtrasRequest request,
                                                          std::shared_ptr<pipeline::UpscalerRegistry> registry,
                                                          std::shared_ptr<pipeline::FaceModels> faces);

}  // namespace upres::server
