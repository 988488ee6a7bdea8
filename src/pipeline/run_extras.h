// run_extras: one Extras run on one image: upscale (upscaler 1, upscaler 2 blended in), then
// GFPGAN, then CodeFormer, as the reference web UI orders them. Thread-compatible: callers run one
// at a time per registry (the server queues jobs).
#pragma once

#include <string>

#include "base/result.h"
#include "image/image.h"
#include "pipeline/extras_request.h"
#include "pipeline/face_models.h"
#include "pipeline/progress.h"
#include "pipeline/upscaler_registry.h"

namespace upres::pipeline {

struct ExtrasResult {
  image::Image image;     // metadata carries the source's text chunks plus the infotext
  std::string infotext;   // e.g. "Postprocess upscale by: 4, Postprocess upscaler: Lanczos"
};

// Output size for an input of width x height: scale by rounds width*scale; scale to covers the
// target box keeping the aspect (and crop_to_fit then cuts it to exactly the box), or with
// outpaint_to_fit fits inside it (and the outpaint then grows it to exactly the box).
struct OutputSize {
  int upscaled_width = 0, upscaled_height = 0;  // what the upscaler produces
  int final_width = 0, final_height = 0;        // after the optional crop or outpaint
};
OutputSize compute_output_size(int width, int height, const ExtrasRequest& request);

// InvalidArgument naming the field when the request asks for face restoration and `faces` is
// null; otherwise FaceModels::check()'s error for each restorer the request uses. Nothing is
// downloaded or loaded.
Status check_capabilities(const ExtrasRequest& request, const FaceModels* faces);

// Requires: request.validate() is OK. NotFound for an unknown upscaler, Cancelled when
// `progress` is cancelled, check_capabilities()'s error. Face restoration (GFPGAN, then
// CodeFormer) runs on the upscaled picture and is blended in with its visibility.
Result<ExtrasResult> run_extras(const image::Image& input, const ExtrasRequest& request,
                                UpscalerRegistry& registry, Progress& progress,
                                FaceModels* faces = nullptr);

}  // namespace upres::pipeline
