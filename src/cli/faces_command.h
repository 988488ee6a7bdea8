// `upres faces FILE`: runs the RetinaFace detector on one picture and prints what it found (box,
// score, five landmarks per face) as JSON on stdout. Single-threaded; one run per process.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace upres::cli {

class FacesCommand {
 public:
  // Adds the subcommand and its flags to `app`.
  explicit FacesCommand(CLI::App& app);

  bool is_chosen() const { return command_->parsed(); }
  // Runs it; returns the exit status: 0 done, 1 unreadable picture or missing/broken model,
  // 2 bad option value.
  int run();

 private:
  CLI::App* command_;
  std::string file_;
  std::string face_detector_ = "RetinaFace ResNet50";
  std::string models_dir_ = "models";
  float threshold_ = 0.8f;
  std::string backend_;
};

}  // namespace upres::cli
