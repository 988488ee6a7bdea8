// run_server: sets up ApiServer, reports the address, and stops cleanly on SIGINT/SIGTERM.
#include "server/server.h"

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "server/api_server.h"

namespace upres::server {
namespace {

// Every connection is a file descriptor, and the default soft limit (often 1024) would cap the
// server far below ServerOptions::max_connections; the hard limit is the operator's real bound.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &limit);  // best effort: the old limit still works
}

volatile std::sig_atomic_t stop_signal = 0;
void on_stop_signal(int signal) { stop_signal = signal; }

}  // namespace

Status run_server(const ServerOptions& options_in) {
  ServerOptions options = options_in;
  if (!options.api_auth.empty() && options.api_auth.find(':') == std::string::npos)
    return invalid_argument("api_auth: expected user:password");
  if (options.max_upload_bytes <= 0) return invalid_argument("max_upload_bytes: must be positive");
  if (options.idle_timeout.count() <= 0 || options.header_timeout.count() <= 0 ||
      options.read_timeout.count() <= 0 || options.write_timeout.count() <= 0)
    return invalid_argument("timeouts: idle, header, read and write must be positive");
  if (options.http_threads < 1) return invalid_argument("http_threads: must be at least 1");
  if (options.max_connections < 1 || options.max_connections_per_client < 1)
    return invalid_argument("max_connections: must be at least 1");
  if (!options.registry) options.registry = pipeline::UpscalerRegistry::with_classical_upscalers();
  auto listening = options.on_listening;
  raise_open_file_limit();

  ApiServer server(std::move(options));
  auto port = server.bind();
  if (!port.is_ok()) return port.status();
  const std::string url = "http://" + options_in.listen_address + ":" + std::to_string(*port);
  if (listening) {
    listening(url);
  } else {
    std::printf("upres: serving on %s\n", url.c_str());
    std::fflush(stdout);
  }

  // A signal handler may only set a flag; this thread turns the flag into stop().
  stop_signal = 0;
  auto previous_int = std::signal(SIGINT, on_stop_signal);
  auto previous_term = std::signal(SIGTERM, on_stop_signal);
  std::atomic<bool> served{false};
  std::thread watcher([&] {
    while (!served.load() && stop_signal == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  Status status = server.serve();
  served.store(true);
  watcher.join();
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  return status;
}

}  // namespace upres::server
