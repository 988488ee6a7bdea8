// Outpaint jobs in the native job API: the "outpaint_*" JSON options read into an OutpaintRequest
// through pipeline/outpaint_request.h's option table (so no parser or default is restated here,
// and every error names the JSON field), that table described for the web form, and the
// PictureWork the job queue runs on each picture. Pure functions and immutable work; thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "pipeline/outpaint_request.h"
#include "server/job.h"

namespace upres::server {

// Reads the outpaint_* fields present in `body` (an object); absent or null fields keep their
// default, other fields are ignored. Values are the CLI's texts ("16:9", "1920x1080",
// "64,0,64,0", "left,right", "patchmatch"), or numbers (mask blur, seed, one expansion for every
// side) or arrays ([L, T, R, B] for expand, ["left", "right"] for directions). The canvas may not
// exceed `max_output_pixels`. InvalidArgument whose message starts with "<field>: ".
Result<pipeline::OutpaintRequest> parse_outpaint_options(const nlohmann::json& body,
                                                         int64_t max_output_pixels);

// {"options": [{name, cli_flag, help, default}] in table order, "fill_engines": [{name, label}]}.
nlohmann::json outpaint_options_json();

// Plans the canvas for a width x height picture: the plan's error (the ask would shrink the
// picture, a forbidden side, too many pixels) with its message starting with the canvas field,
// e.g. "outpaint_to: target size 10x10 is smaller than the picture ...".
Status check_outpaint_canvas(const pipeline::OutpaintRequest& request, int width, int height);

// Requires: request.validate() is OK. Each picture is planned (check) and outpainted (run).
std::shared_ptr<const PictureWork> make_outpaint_work(pipeline::OutpaintRequest request);

}  // namespace upres::server
