// ApiServer: the HTTP server of `upres serve`: authentication, limits, the /sdapi/v1 and
// /api/v1 routes, the embedded web page, JSON errors, and the job queue behind them.
// Thread-safe: stop() may be called from any thread while serve() runs.
#pragma once

#include <httplib.h>

#include <memory>

#include "base/result.h"
#include "server/basic_auth.h"
#include "server/connection_server.h"
#include "server/job_queue.h"
#include "server/route_context.h"
#include "server/server.h"

namespace upres::server {

class ApiServer {
 public:
  // Requires: options.registry is not null.
  explicit ApiServer(ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket and returns its port (options.port, or a free one for port 0).
  Result<int> bind();
  // Serves until stop(). Requires: bind() succeeded.
  Status serve();
  void stop();

 private:
  void add_guards();
  void add_static_routes();

  ServerOptions options_;
  BasicAuth auth_;
  std::unique_ptr<JobQueue> queue_;
  RouteContext context_;
  HttpRouter http_;  // routes and guards; connections_ feeds it complete requests
  ConnectionServer connections_;
};

}  // namespace upres::server
