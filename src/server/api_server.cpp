// ApiServer: wiring of httplib, guards (auth, limits, errors) and routes.
#include "server/api_server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "server/cors_policy.h"
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

ConnectionOptions connection_options(const ServerOptions& options) {
  ConnectionOptions out;
  out.listen_address = options.listen_address;
  out.port = options.port;
  out.request.max_header_bytes = options.max_header_bytes;
  out.request.max_header_count = options.max_header_count;
  out.request.max_body_bytes = options.max_upload_bytes;
  out.idle_timeout = options.idle_timeout;
  out.header_timeout = options.header_timeout;
  out.read_timeout = options.read_timeout;
  out.write_timeout = options.write_timeout;
  // Room for a few uploads of the largest size at once, however many clients send.
  out.max_buffered_body_bytes = std::max<int64_t>(int64_t{1} << 30, 4 * options.max_upload_bytes);
  out.max_connections = options.max_connections;
  out.max_connections_per_client = options.max_connections_per_client;
  out.trusted_proxies = options.trusted_proxies;
  out.worker_threads = std::max(4, options.http_threads);
  // Refusals made before routing carry the CORS headers the routes add (add_guards).
  auto cors = CorsPolicy::create(options.cors_allow_origins, options.cors_allow_origins_regex);
  if (cors.is_ok() && (!options.cors_allow_origins.empty() || !options.cors_allow_origins_regex.empty())) {
    auto policy = std::make_shared<const CorsPolicy>(std::move(cors).value());
    out.refusal_headers = [policy](const std::string& origin) {
      const bool is_clean = std::none_of(origin.begin(), origin.end(), [](unsigned char c) { return c < 0x20; });
      if (!is_clean || !policy->is_allowed_origin(origin)) return std::string();
      httplib::Request request;
      request.headers.emplace("Origin", origin);
      httplib::Response response;
      policy->add_response_headers(request, response);
      std::string lines;
      for (const auto& [name, value] : response.headers) lines += name + ": " + value + "\r\n";
      return lines;
    };
  }
  return out;
}

// Request start, for the X-Process-Time header the reference API sends (one request per thread).
thread_local std::chrono::steady_clock::time_point request_started;

}  // namespace

ApiServer::ApiServer(ServerOptions options)
    : options_(std::move(options)),
      auth_(options_.api_auth),
      queue_(std::make_unique<JobQueue>(options_.registry, queue_options(options_))),
      connections_(connection_options(options_), http_) {
  context_ = {&options_, options_.registry, queue_.get()};
  // ConnectionServer has framed and limited the request already; these stay as a second guard
  // and tell keep-alive clients how long an idle connection is kept.
  http_.set_payload_max_length(static_cast<size_t>(options_.max_upload_bytes));
  http_.set_keep_alive_max_count(kMaxRequestsPerConnection);
  const auto idle_seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.idle_timeout);
  http_.set_keep_alive_timeout(std::max<time_t>(1, idle_seconds.count()));
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
  // The reference's middleware order: CORS answers preflights before routing; Starlette's router
  // answers unknown /sdapi paths (404) and wrong methods (405) before the auth dependency runs.
  auto cors = CorsPolicy::create(options_.cors_allow_origins, options_.cors_allow_origins_regex);
  if (!cors.is_ok()) {  // `upres serve` checks the flags first; a bad regex here only drops it
    std::fprintf(stderr, "upres: %s\n", cors.status().to_string().c_str());
    cors = CorsPolicy::create(options_.cors_allow_origins, "");
  }
  auto policy = std::make_shared<const CorsPolicy>(std::move(cors).value());
  http_.set_pre_routing_handler(
      [this, policy](const httplib::Request& request, httplib::Response& response) {
        request_started = std::chrono::steady_clock::now();
        HttpRouter::adopt_body(request);
        if (CorsPolicy::is_preflight(request)) {
          policy->answer_preflight(request, response);
          return httplib::Server::HandlerResponse::Handled;
        }
        if (request.path.rfind("/sdapi/", 0) == 0) {
          const std::string methods = sdapi_route_methods(request.path);
          if (methods.empty()) {
            send_detail(response, 404, "Not Found");
            return httplib::Server::HandlerResponse::Handled;
          }
          const bool head_of_get = request.method == "HEAD" && methods == "GET";
          if (methods.find(request.method) == std::string::npos && !head_of_get) {
            response.set_header("Allow", methods);
            send_detail(response, 405, "Method Not Allowed");
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        const AuthOutcome outcome = auth_.check(request.get_header_value("Authorization"));
        if (outcome == AuthOutcome::kAccepted) return httplib::Server::HandlerResponse::Unhandled;
        // The reference's body for HTTPBasic / auth() refusals; the challenge header lets a
        // browser ask for the password (the reference's exception handler drops it).
        response.set_header("WWW-Authenticate", "Basic");
        send_json(response,
                  {{"error", "HTTPException"},
                   {"detail", BasicAuth::refusal_detail(outcome)},
                   {"body", ""},
                   {"errors", ""}},
                  401);
        return httplib::Server::HandlerResponse::Handled;
      });
  http_.set_post_routing_handler(
      [policy](const httplib::Request& request, httplib::Response& response) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started).count();
        response.set_header("X-Process-Time", std::to_string(seconds));
        response.set_header("X-Content-Type-Options", "nosniff");
        policy->add_response_headers(request, response);
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

Result<int> ApiServer::bind() { return connections_.bind(); }

Status ApiServer::serve() { return connections_.serve(); }

void ApiServer::stop() {
  queue_->shutdown();  // releases handlers waiting on jobs, so the worker threads can finish
  connections_.stop();
}

}  // namespace upres::server
