#include "cli/serve_command.h"

#include <cstdio>

#include "pipeline/model_upscalers.h"
#include "server/server.h"

namespace upres::cli {

ServeCommand::ServeCommand(CLI::App& app) {
  command_ = app.add_subcommand("serve", "Serve the web page and the HTTP API");
  command_->add_option("--listen", listen_, "address to bind")->capture_default_str();
  command_->add_option("--port", port_, "port")->capture_default_str();
  command_->add_option("--api-auth", api_auth_, "user:pass: HTTP Basic authentication on everything");
  command_->add_option("--max-upload-mb", max_upload_mb_, "largest request body, in MiB")->capture_default_str();
  command_->add_option("--max-pixels", max_pixels_, "largest input, in decoded pixels")->capture_default_str();
  command_->add_option("-o,--output", output_dir_, "where native jobs save results")->capture_default_str();
  command_->add_option("--models", models_dir_, "models folder")->capture_default_str();
  command_->add_option("--batch-root", batch_root_, "folder under which \"Batch from directory\" may read");
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
  pipeline::ModelUpscalerOptions model_options;
  model_options.models_dir = models_dir_;
  options.registry = pipeline::make_upscaler_registry(model_options);
  pipeline::FaceModelOptions face_options;
  face_options.models_dir = models_dir_;
  options.faces = std::make_shared<pipeline::FaceModels>(face_options);
  Status status = server::run_server(options);
  if (!status.is_ok()) {
    std::fprintf(stderr, "upres: %s\n", status.to_string().c_str());
    return 1;
  }
  return 0;
}

}  // namespace upres::cli
