// `upres models`: lists the models that are installed and those downloaded on first use.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace upres::cli {

class ModelsCommand {
 public:
  explicit ModelsCommand(CLI::App& app);
  bool is_chosen() const { return command_->parsed(); }
  int run();

 private:
  CLI::App* command_;
  std::string models_dir_ = "models";
};

}  // namespace upres::cli
