// `upres info FILE...`: prints each file's infotext and text chunks. `upres info --cpu`: the CPU
// as the inference backend sees it and what `--precision auto` runs on it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace upres::cli {

class InfoCommand {
 public:
  explicit InfoCommand(CLI::App& app);
  bool is_chosen() const { return command_->parsed(); }
  int run();

 private:
  CLI::App* command_;
  std::vector<std::string> files_;
  bool cpu_ = false;
};

}  // namespace upres::cli
