// RouteContext: what every route handler shares: the options, the upscalers and the job queue.
// The pointers outlive the HTTP server; all members are thread-safe to use from handlers.
#pragma once

#include <memory>

#include "pipeline/upscaler_registry.h"
#include "server/job_queue.h"
#include "server/server.h"

namespace upres::server {

struct RouteContext {
  const ServerOptions* options = nullptr;
  std::shared_ptr<pipeline::UpscalerRegistry> registry;
  JobQueue* queue = nullptr;
};

}  // namespace upres::server
