// The reference web UI's /sdapi/v1 extras endpoints (extra-single-image, extra-batch-images,
// upscalers, face-restorers, progress, png-info, interrupt, skip) as its FastAPI app answers
// them: field names, defaults, pydantic coercion, 422 validation bodies and response shapes.
// Where the reference answers 500 for bad input (an undecodable image, an unknown upscaler) these
// answer 4xx with the reference's error shape and the field at fault.
// Handlers are thread-safe; extras requests queue behind other jobs.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "server/route_context.h"

namespace upres::server {

// Requires: `context` outlives `server`.
void add_sdapi_routes(httplib::Server& server, const RouteContext& context);

// The methods routed at `path` under /sdapi/v1 ("POST", "GET", or "" when no such route), for
// the 404 / 405 answers Starlette gives before any handler runs.
std::string sdapi_route_methods(std::string_view path);

}  // namespace upres::server
