// The native job API: POST /api/v1/jobs (multipart upload, or JSON for a batch from a directory
// under the configured root; "kind" extras, the default, or outpaint), GET /api/v1/jobs/{id}
// (state, progress, ETA), GET .../result, DELETE to cancel, GET .../events (Server-Sent Events),
// and GET /api/v1/options (the option tables and limits the web form is built from). Handlers are
// thread-safe.
#pragma once

#include <httplib.h>

#include "server/route_context.h"

namespace upres::server {

// Requires: `context` outlives `server`.
void add_jobs_routes(httplib::Server& server, const RouteContext& context);

}  // namespace upres::server
