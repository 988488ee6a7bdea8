// `upres serve`: the web page and HTTP API (see src/server/server.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace upres::cli {

class ServeCommand {
 public:
  explicit ServeCommand(CLI::App& app);
  bool is_chosen() const { return command_->parsed(); }
  int run();

 private:
  CLI::App* command_;
  std::string listen_ = "127.0.0.1";
  int port_ = 7860;
  std::string api_auth_;
  long long max_upload_mb_ = 200;
  long long max_pixels_ = 268'402'689;
  std::string output_dir_ = "outputs/extras-images";
  std::string models_dir_ = "models";
  std::string batch_root_;
};

}  // namespace upres::cli
