// Exact tiled inference for models of valid convolutions (UpscaleModel::valid_conv_tiling): the
// whole image's border is extended once, as the model's own graph would extend it; tiles abut on
// a grid aligned to the model's strides and each sees its real neighbours, so every output pixel
// equals the untiled one. Global averages (SE blocks) are computed over the whole image first, one
// average at a time across all tiles, and fed to every tile (realcugan-ncnn-vulkan's accurate
// "syncgap" mode). Not thread-safe (runs the executables it is given).
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "engine/backend.h"
#include "image/image.h"
#include "models/upscale_model.h"
#include "pipeline/progress.h"

namespace upres::pipeline {

// The executable of the model's window graph for a core of height x width (prepared or reused).
using WindowExecutableFn =
    std::function<Result<engine::Executable*>(int height, int width, const models::GlobalMeanInputs& means)>;

// Whether `length` x `length` cores of at most tile_px would need more than one tile.
bool needs_valid_conv_tiles(const models::ValidConvTiling& tiling, int height, int width, int tile_px);

// One native-scale pass: an RGB image (3 channels) -> one `scale` times larger (not clamped), in
// cores of at most tile_px (rounded down to the alignment) per side. Reports `stage` progress once
// per tile run (global averages + 1 runs per tile). Requires: model.valid_conv_tiling().
Result<image::Image> run_valid_conv_tiles(const models::UpscaleModel& model, const image::Image& rgb,
                                          int tile_px, const WindowExecutableFn& executable_for,
                                          const std::string& stage, Progress& progress);

}  // namespace upres::pipeline
