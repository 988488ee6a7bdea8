// `upres serve`: the web page and HTTP API on one port. ServerOptions are what the command line
// sets; run_server blocks until SIGINT or SIGTERM. Thread safety: call run_server once per process.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "pipeline/face_models.h"
#include "pipeline/upscaler_registry.h"

namespace upres::server {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";  // loopback only unless asked
  int port = 7860;                           // 0: any free port (reported through on_listening)
  std::string api_auth;  // "user:pass[,user2:pass2]" puts HTTP Basic on everything; "" = off
  // CORS as the reference's --cors-allow-origins ("https://a,https://b", "*") and
  // --cors-allow-origins-regex (matched against the whole Origin); both empty: no origin allowed.
  std::string cors_allow_origins;
  std::string cors_allow_origins_regex;
  int64_t max_upload_bytes = int64_t{200} << 20;  // whole request body; larger answers 413
  int64_t max_pixels = 268'402'689;               // decoded input pixels (16383 x 16383)
  int64_t max_output_pixels = 268'402'689;        // result pixels; larger requests answer 413
  size_t max_batch_images = 1000;                 // images in one job
  std::chrono::seconds job_timeout{3600};         // one job's run time; 0 = no limit
  std::filesystem::path output_dir;  // native jobs save results here; "" = keep in memory
  std::filesystem::path models_dir;  // shown in /sdapi/v1/face-restorers; never written
  std::filesystem::path batch_root;  // "Batch from directory" inputs; "" = disabled
  // Connections (ConnectionServer): an idle or still-sending connection holds no thread; a worker
  // thread runs each complete request, and waiting handlers and event streams hold one each.
  int http_threads = 256;                            // worker threads at most
  std::chrono::milliseconds idle_timeout{5'000};     // keep-alive wait, or before a first byte
  std::chrono::milliseconds header_timeout{10'000};  // first byte to the end of the headers
  std::chrono::milliseconds read_timeout{30'000};    // longest pause inside a request body
  std::chrono::milliseconds write_timeout{60'000};   // longest stall while sending an answer
  size_t max_header_bytes = size_t{32} << 10;        // request line and headers; larger: 431
  size_t max_header_count = 100;                     // header fields; more: 431
  int max_connections = 4096;            // open at once (also capped by `ulimit -n`); beyond: 503
  // Open at once from one IP address; beyond: 429. Below http_threads, so that one address cannot
  // hold every worker with slow handlers (behind a reverse proxy, raise it: all share one address).
  int max_connections_per_client = 64;
  // Reverse proxies (IP addresses as accept() reports them, e.g. "127.0.0.1"): their connections
  // are not limited per client; each request counts against the client its X-Forwarded-For names.
  std::vector<std::string> trusted_proxies;
  // Upscalers offered; null: the classical ones (UpscalerRegistry::with_classical_upscalers()).
  std::shared_ptr<pipeline::UpscalerRegistry> registry;
  // Face detector and restorers for gfpgan/codeformer_visibility; null: such requests answer 422.
  std::shared_ptr<pipeline::FaceModels> faces;
  // Called once the socket is bound with e.g. "http://127.0.0.1:7860"; default: prints
  // "upres: serving on <url>" to stdout.
  std::function<void(const std::string& url)> on_listening;
};

// Binds, serves until SIGINT/SIGTERM, then stops the job queue. IoError when the address cannot
// be bound; InvalidArgument for a malformed api_auth.
Status run_server(const ServerOptions& options);

}  // namespace upres::server
