// The body of /sdapi/v1/extra-single-image and /extra-batch-images as the reference's pydantic
// models (ExtrasBaseRequest, ExtrasSingleImageRequest, ExtrasBatchImagesRequest in
// modules/api/models.py) define it: field types, defaults, ranges and error order. Pure
// functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/extras_request.h"
#include "server/request_validation.h"

namespace upres::server {

struct SdapiExtrasRequest {
  pipeline::ExtrasRequest request;  // upscaler names not yet checked against the registry
  bool show_extras_results = true;
  std::string image;                     // single image: base64 (default "")
  std::vector<std::string> image_list;   // batch: each FileData's data, in order
  std::vector<std::string> image_names;  // batch: each FileData's name
};

enum class ExtrasEndpoint { kSingleImage, kBatchImages };

// Reads the model's fields over the API defaults (upscaler_1 "None", upscaling_resize 2, ...).
// nullopt when `errors` got any: every failing field is reported, not only the first.
std::optional<SdapiExtrasRequest> read_sdapi_extras_request(const nlohmann::json& body,
                                                            ExtrasEndpoint endpoint,
                                                            ValidationErrors& errors);

}  // namespace upres::server
