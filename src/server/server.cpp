// run_server: sets up ApiServer, reports the address, and stops cleanly on SIGINT/SIGTERM.
#include "server/server.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "server/api_server.h"

namespace upres::server {
namespace {

volatile std::sig_atomic_t stop_signal = 0;
void on_stop_signal(int signal) { stop_signal = signal; }

}  // namespace

Status run_server(const ServerOptions& options_in) {
  ServerOptions options = options_in;
  if (!options.api_auth.empty() && options.api_auth.find(':') == std::string::npos)
    return invalid_argument("api_auth: expected user:password");
  if (options.max_upload_bytes <= 0) return invalid_argument("max_upload_bytes: must be positive");
  if (!options.registry) options.registry = pipeline::UpscalerRegistry::with_classical_upscalers();
  auto listening = options.on_listening;

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
