#include "cli/batch_recording.h"

#include <nlohmann/json.hpp>

#include "store/sha256.h"

#ifndef UPRES_VERSION
#define UPRES_VERSION "unknown"
#endif

namespace upres::cli {

std::string upres_version() { return UPRES_VERSION; }

std::string run_parameters_json(const pipeline::ExtrasRequest& request, const image::EncodeOptions& encode) {
  nlohmann::json params;  // an object's keys are kept sorted: the text is canonical
  const bool scale_to = request.resize_mode == pipeline::ResizeMode::kScaleTo;
  params["resize_mode"] = scale_to ? "scale_to" : "scale_by";
  if (scale_to) {
    params["upscaling_resize_w"] = request.target_width;
    params["upscaling_resize_h"] = request.target_height;
    params["upscaling_crop"] = request.crop_to_fit && !request.outpaint_to_fit;
    if (request.outpaint_to_fit) {
      params["outpaint_fill"] = outpaint::fill_engine_name(request.outpaint_fill.engine);
      params["outpaint_mask_blur"] = request.outpaint_fill.mask_blur_px;
      params["outpaint_seed"] = request.outpaint_fill.seed;
      if (request.outpaint_fill.color) params["outpaint_color"] = *request.outpaint_fill.color;
    }
  } else {
    params["upscaling_resize"] = request.scale;
  }
  params["upscaler_1"] = request.upscaler_1;
  params["upscaler_2"] = request.upscaler_2;
  params["extras_upscaler_2_visibility"] = request.upscaler_2_visibility;
  params["gfpgan_visibility"] = request.gfpgan_visibility;
  params["codeformer_visibility"] = request.codeformer_visibility;
  params["codeformer_weight"] = request.codeformer_weight;
  params["format"] = std::string(image::format_extension(encode.format));
  if (encode.format == image::ImageFormat::kJpeg || encode.format == image::ImageFormat::kWebp)
    params["quality"] = encode.quality;
  if (encode.format == image::ImageFormat::kWebp) params["lossless"] = encode.lossless;
  return params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<pipeline::RecordedRunInfo> recorded_run_info(const pipeline::ExtrasRequest& request,
                                                    const image::EncodeOptions& encode,
                                                    pipeline::UpscalerRegistry& registry, const std::string& shard,
                                                    bool with_model_hashes) {
  pipeline::RecordedRunInfo info;
  info.params = run_parameters_json(request, encode);
  info.shard = shard;
  info.upres_version = upres_version();
  if (!with_model_hashes) return info;
  for (const pipeline::UpscalerEntry& entry : registry.entries()) {
    if (entry.model_path.empty() || (entry.name != request.upscaler_1 && entry.name != request.upscaler_2)) continue;
    std::filesystem::path model = entry.model_path;
    UPRES_ASSIGN_OR_RETURN(info.model_sha256[entry.name], store::sha256_of_file(model));
    if (model.extension() == ".param") {  // ncnn: the weights live in the .bin beside it
      UPRES_ASSIGN_OR_RETURN(info.model_sha256[entry.name + " (.bin)"],
                             store::sha256_of_file(std::filesystem::path(model).replace_extension(".bin")));
    }
  }
  return info;
}

}  // namespace upres::cli
