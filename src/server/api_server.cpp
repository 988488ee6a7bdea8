// ApiServer: wiring of httplib, guards (auth, limits, errors) and routes.
#include "server/api_server.h"

#include <chrono>
#include <cstdio>

#include "server/jobs_routes.h"
#include "server/json_response.h"
#include "server/sdapi_routes.h"
#include "server/static_assets.h"

namespace upres::server {
namespace {

JobQueueOptions queue_options(const ServerOptions& options) {
  JobQueueOptions out;
  out.job_timeout = options.job_timeout;
  out.decode_limits.max_pixels = options.max_pixels;
  out.max_output_pixels = options.max_output_pixels;
  out.max_input_file_bytes = options.max_upload_bytes;
  out.faces = options.faces;
  return out;
}

// Request start, for the X-Process-Time header the reference API sends (one request per thread).
thread_local std::chrono::steady_clock::time_point request_started;

}  // namespace

ApiServer::ApiServer(ServerOptions options)
    : options_(std::move(options)),
      auth_(options_.api_auth),
      queue_(std::make_unique<JobQueue>(options_.registry, queue_options(options_))) {
  context_ = {&options_, options_.registry, queue_.get()};
  const size_t threads = static_cast<size_t>(std::max(4, options_.http_threads));
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_payload_max_length(static_cast<size_t>(options_.max_upload_bytes));
  http_.set_read_timeout(30);
  http_.set_write_timeout(60);
  add_guards();
  add_sdapi_routes(http_, context_);
  add_jobs_routes(http_, context_);
  add_static_routes();
}

ApiServer::~ApiServer() {
  stop();
  queue_.reset();
}

void ApiServer::add_guards() {
  http_.set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        request_started = std::chrono::steady_clock::now();
        if (auth_.accepts(request.get_header_value("Authorization")))
          return httplib::Server::HandlerResponse::Unhandled;
        response.set_header("WWW-Authenticate", "Basic realm=\"upres\"");
        send_error(response, invalid_argument("Authorization: credentials required"), 401);
        return httplib::Server::HandlerResponse::Handled;
      });
  http_.set_post_routing_handler([](const httplib::Request&, httplib::Response& response) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started).count();
    response.set_header("X-Process-Time", std::to_string(seconds));
    response.set_header("X-Content-Type-Options", "nosniff");
  });
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const int code = response.status;
        if (code == 413) {
          send_error(response,
                     resource_exhausted("body: larger than this server's limit of " +
                                        std::to_string(options_.max_upload_bytes) + " bytes"),
                     413);
        } else if (code == 404) {
          send_error(response, not_found("path: nothing at " + request.path), 404);
        } else {
          send_error(response, invalid_argument("request: HTTP " + std::to_string(code)), code);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unexpected exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
          what = "unknown exception";  // reported below, not swallowed
        }
        send_error(response, internal_error("server: " + what), 500);
      });
}

void ApiServer::add_static_routes() {
  // Registered last: the embedded table is consulted only when no API route matched.
  http_.Get(".*", [](const httplib::Request& request, httplib::Response& response) {
    const StaticAsset* asset = find_static_asset(request.path);
    if (!asset) return send_error(response, not_found("path: nothing at " + request.path));
    response.set_header("Cache-Control", "no-cache");
    response.set_content(std::string(asset->bytes), std::string(asset->content_type));
  });
}

Result<int> ApiServer::bind() {
  int port = options_.port;
  if (port == 0) {
    port = http_.bind_to_any_port(options_.listen_address);
    if (port <= 0) return io_error("listen " + options_.listen_address + ": cannot bind any port");
  } else if (!http_.bind_to_port(options_.listen_address, port)) {
    return io_error("listen " + options_.listen_address + ":" + std::to_string(port) +
                    ": cannot bind (in use, or not an address of this machine)");
  }
  return port;
}

Status ApiServer::serve() {
  if (!http_.listen_after_bind()) return io_error("server: the listening socket failed");
  return Status::ok();
}

void ApiServer::stop() {
  queue_->shutdown();  // releases handlers waiting on jobs, so the HTTP threads can finish
  http_.stop();
}

}  // namespace upres::server
