// The Extras options as JSON: reading a request body's fields into an ExtrasRequest, and
// describing the option table for the web form. Both go through pipeline/extras_options.h, so no
// range or default is restated here. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "pipeline/extras_request.h"
#include "pipeline/face_models.h"
#include "pipeline/upscaler_registry.h"

namespace upres::server {

// Reads every option field present in `body` (an object) on top of `defaults`; absent or null
// fields keep their default; unknown fields are ignored (as the reference API does). Upscaler
// names must be listed by `registry`; face restoration needs `faces` (null: refused) and its
// models known. InvalidArgument/NotFound whose message starts with "<field>: " or the option.
Result<pipeline::ExtrasRequest> parse_extras_options(const nlohmann::json& body,
                                                     const pipeline::ExtrasRequest& defaults,
                                                     const pipeline::UpscalerRegistry& registry,
                                                     const pipeline::FaceModels* faces = nullptr);

// [{name, label, help, kind, min, max, step, default, api_default}] in table order; kind is
// "number", "integer", "bool", "upscaler" or "resize_mode".
nlohmann::json extras_options_json();

}  // namespace upres::server
