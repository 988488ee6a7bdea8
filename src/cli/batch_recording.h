// What `upres upscale` records about a run in its manifest and in each result's source stamp:
// the parameters that decide the pixels and the file, the program's version, the model hashes.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "image/image_codec.h"
#include "pipeline/batch_recorder.h"
#include "pipeline/extras_request.h"
#include "pipeline/upscaler_registry.h"

namespace upres::cli {

// The version this binary was built from (git describe at configure time), or "unknown".
std::string upres_version();

// The parameters as one compact JSON object with sorted keys: two runs that would write the same
// result give the same text. Tiling, memory and thread settings are left out: they do not change
// what is asked for, and a resumed array may run on other hardware.
std::string run_parameters_json(const pipeline::ExtrasRequest& request, const image::EncodeOptions& encode);

// Fills in everything but `earlier` and `exactly_once`; hashes the upscalers' model files when
// `with_model_hashes` (a .param's .bin too). IoError when a model file cannot be read.
Result<pipeline::RecordedRunInfo> recorded_run_info(const pipeline::ExtrasRequest& request,
                                                    const image::EncodeOptions& encode,
                                                    pipeline::UpscalerRegistry& registry, const std::string& shard,
                                                    bool with_model_hashes);

}  // namespace upres::cli
