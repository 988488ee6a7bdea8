// The reference web UI's /sdapi/v1 extras endpoints (extra-single-image, extra-batch-images,
// upscalers, face-restorers, progress, png-info, interrupt, skip) with its field names, defaults
// and response shapes, but 4xx JSON errors naming the field where it answers 500.
// Handlers are thread-safe; extras requests queue behind other jobs.
#pragma once

#include <httplib.h>

#include "server/route_context.h"

namespace upres::server {

// Requires: `context` outlives `server`.
void add_sdapi_routes(httplib::Server& server, const RouteContext& context);

}  // namespace upres::server
