// ConnectionServer: owns the listening socket and every client connection of `upres serve`.
// One epoll thread accepts, enforces per-client and global connection limits, reads requests
// with idle/header/body timeouts and size limits, and hands each complete request to a
// ConnectionWorkerPool thread, which routes it through httplib (HttpRouter) and writes the answer.
// Thread-safe: stop() may be called from any thread while serve() runs.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/connection_request_reader.h"

namespace upres::server {

// The routes and guards of cpp-httplib, driven by ConnectionServer instead of httplib's own
// accept loop: process_request runs one already-framed request over a Stream.
class HttpRouter : public httplib::Server {
 public:
  using httplib::Server::process_request;
  // httplib ends chunked (event-stream) answers once its socket reads INVALID_SOCKET; this is
  // the flag ConnectionServer sets while it serves and clears on stop.
  void set_serving(int listen_socket) { svr_sock_ = listen_socket; }
  void clear_serving() { svr_sock_ = INVALID_SOCKET; }

  // A body that is not multipart travels beside httplib, which would copy it into Request::body
  // (growing the copy by doubling) while the connection still held it: httplib sees
  // "Content-Length: 0" and this moves the one copy in. Requires: called first thing by the
  // pre-routing handler (it runs before httplib reads any body), on the request's thread.
  static void adopt_body(const httplib::Request& request);
};

// Requests on one keep-alive connection; the last answer says "Connection: close".
inline constexpr size_t kMaxRequestsPerConnection = 1000;

struct ConnectionOptions {
  std::string listen_address = "127.0.0.1";
  int port = 0;  // 0: any free port
  RequestLimits request;
  std::chrono::milliseconds idle_timeout{5'000};     // keep-alive wait, or before a first byte
  std::chrono::milliseconds header_timeout{10'000};  // first byte to the end of the head
  std::chrono::milliseconds read_timeout{30'000};    // longest pause inside a body
  std::chrono::milliseconds write_timeout{60'000};   // longest stall while answering
  // Bytes of request bodies buffered at once across all connections; beyond it, 503.
  int64_t max_buffered_body_bytes = int64_t{1} << 30;
  int max_connections = 4096;           // also capped by the process's open-file limit
  int max_connections_per_client = 64;  // per client IP address; beyond it, 429
  // Addresses of reverse proxies: their connections are not limited per client; instead each
  // request counts, while it runs, against the client its X-Forwarded-For names (the rightmost
  // address that is not a trusted proxy), with the same limit; beyond it, 429.
  std::vector<std::string> trusted_proxies;
  int worker_threads = 256;             // requests in progress at once
  // Header lines ("Name: value\r\n" each) for a refusal answered here to a request from
  // `origin` (CORS, as the routes add them); null or empty: none. Called on the epoll thread.
  std::function<std::string(const std::string& origin)> refusal_headers;
};

class ConnectionServer {
 public:
  // `router` must outlive this object.
  ConnectionServer(ConnectionOptions options, HttpRouter& router);
  ~ConnectionServer();
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Binds and listens; returns the port (the chosen one for port 0).
  Result<int> bind();
  // Serves until stop(); requests in progress finish (their sockets are shut down) before it
  // returns. Requires: bind() succeeded.
  Status serve();
  void stop();

 private:
  class Loop;
  ConnectionOptions options_;
  HttpRouter& router_;
  int listen_socket_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() and finished requests wake the epoll thread
  std::atomic<bool> stopping_{false};
  std::unique_ptr<Loop> loop_;
};

}  // namespace upres::server
