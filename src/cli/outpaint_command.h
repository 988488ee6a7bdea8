// `upres outpaint INPUT... (--aspect A:B | --to WxH | --expand L,T,R,B) [options]`: grows pictures'
// canvases and synthesises the new border; the original pixels stay as they were. The outpaint
// options come from pipeline/outpaint_request.h; inputs, output and format are declared here.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <vector>

namespace upres::cli {

class OutpaintCommand {
 public:
  // Adds the subcommand and its flags to `app`.
  explicit OutpaintCommand(CLI::App& app);

  bool is_chosen() const { return command_->parsed(); }
  // Runs it; returns the exit status: 0 every item done, 1 some item failed, 2 bad options or an
  // ask some input cannot take (nothing is written then).
  int run();

 private:
  CLI::App* command_;
  std::vector<std::string> inputs_;
  std::map<std::string, std::string> texts_;  // keyed by the option's JSON name
  std::string output_dir_ = "outputs/outpaint-images";
  std::string format_ = "png";
  int quality_ = 90;
  bool lossless_ = false;
  bool recursive_ = false;
  bool skip_existing_ = false;
  long long max_pixels_ = 0;
};

}  // namespace upres::cli
