#include "cli/serve_command.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/cli_error.h"
#include "pipeline/model_upscalers.h"
#include "server/cors_policy.h"
#include "server/server.h"

namespace upres::cli {

ServeCommand::ServeCommand(CLI::App& app) {
  command_ = app.add_subcommand("serve", "Serve the web page and the HTTP API");
  command_->add_option("--listen", listen_, "address to bind")->capture_default_str();
  command_->add_option("--port", port_, "port")->capture_default_str();
  command_->add_option("--api-auth", api_auth_,
                       "user:pass[,user2:pass2...]: HTTP Basic authentication on everything");
  // CORS as the reference UI's flags; read back by name in run().
  command_->add_option("--cors-allow-origins", "comma-separated origins allowed by CORS (\"*\" = any)");
  command_->add_option("--cors-allow-origins-regex", "regular expression an allowed CORS origin matches in full");
  command_->add_option("--max-upload-mb", max_upload_mb_, "largest request body, in MiB")->capture_default_str();
  command_->add_option("--max-pixels", max_pixels_, "largest input, in decoded pixels")->capture_default_str();
  command_->add_option("-o,--output", output_dir_, "where native jobs save results")->capture_default_str();
  command_->add_option("--models", models_dir_, "models folder")->capture_default_str();
  command_->add_option("--batch-root", batch_root_, "folder under which \"Batch from directory\" may read");
  // Connection handling (src/server/connection_server.h); read back by name in run().
  const server::ServerOptions defaults;
  auto seconds = [](std::chrono::milliseconds duration) { return duration.count() / 1000.0; };
  command_->add_option("--idle-timeout", "seconds a connection may wait idle (keep-alive)")
      ->default_val(seconds(defaults.idle_timeout))->check(CLI::PositiveNumber);
  command_->add_option("--header-timeout", "seconds a client has to send a request's headers")
      ->default_val(seconds(defaults.header_timeout))->check(CLI::PositiveNumber);
  command_->add_option("--read-timeout", "longest pause, in seconds, inside a request body")
      ->default_val(seconds(defaults.read_timeout))->check(CLI::PositiveNumber);
  command_->add_option("--write-timeout", "longest stall, in seconds, while sending an answer")
      ->default_val(seconds(defaults.write_timeout))->check(CLI::PositiveNumber);
  command_->add_option("--max-connections", "connections open at once")
      ->default_val(defaults.max_connections)->check(CLI::PositiveNumber);
  command_->add_option("--max-connections-per-client", "connections open at once from one IP address")
      ->default_val(defaults.max_connections_per_client)->check(CLI::PositiveNumber);
  command_->add_option("--http-threads", "requests handled at once (worker threads)")
      ->default_val(defaults.http_threads)->check(CLI::PositiveNumber);
  command_->add_option("--trusted-proxies",
                       "reverse proxy addresses (a,b): requests through them count per X-Forwarded-For client");
}

int ServeCommand::run() {
  server::ServerOptions options;
  options.listen_address = listen_;
  options.port = port_;
  options.api_auth = api_auth_;
  options.max_upload_bytes = max_upload_mb_ << 20;
  options.max_pixels = max_pixels_;
  options.output_dir = output_dir_;
  options.models_dir = models_dir_;
  options.batch_root = batch_root_;
  auto milliseconds = [this](const char* flag) {
    return std::chrono::milliseconds(std::llround(command_->get_option(flag)->as<double>() * 1000));
  };
  options.idle_timeout = milliseconds("--idle-timeout");
  options.header_timeout = milliseconds("--header-timeout");
  options.read_timeout = milliseconds("--read-timeout");
  options.write_timeout = milliseconds("--write-timeout");
  options.max_connections = command_->get_option("--max-connections")->as<int>();
  options.max_connections_per_client = command_->get_option("--max-connections-per-client")->as<int>();
  options.http_threads = command_->get_option("--http-threads")->as<int>();
  auto text_flag = [this](const char* flag) {
    CLI::Option* option = command_->get_option(flag);
    return option->count() ? option->as<std::string>() : std::string();
  };
  for (std::string list = text_flag("--trusted-proxies"); !list.empty();) {
    const size_t comma = list.find(',');
    if (std::string proxy = list.substr(0, comma); !proxy.empty()) options.trusted_proxies.push_back(proxy);
    list = comma == std::string::npos ? "" : list.substr(comma + 1);
  }
  options.cors_allow_origins = text_flag("--cors-allow-origins");
  options.cors_allow_origins_regex = text_flag("--cors-allow-origins-regex");
  if (auto cors = server::CorsPolicy::create(options.cors_allow_origins, options.cors_allow_origins_regex);
      !cors.is_ok())
    return report_error(cors.status(), 2);
  pipeline::ModelUpscalerOptions model_options;
  model_options.models_dir = models_dir_;
  options.registry = pipeline::make_upscaler_registry(model_options);
  pipeline::FaceModelOptions face_options;
  face_options.models_dir = models_dir_;
  options.faces = std::make_shared<pipeline::FaceModels>(face_options);
  Status status = server::run_server(options);
  if (!status.is_ok()) return report_error(status, 1);
  return 0;
}

}  // namespace upres::cli
