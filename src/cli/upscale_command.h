// `upres upscale INPUT... [options]`: the Extras run from the command line. The Extras options
// come from pipeline/extras_options.h; the rest (inputs, output, format) are declared here.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "pipeline/input_list.h"

namespace upres::cli {

class UpscaleCommand {
 public:
  // Adds the subcommand and its flags to `app`.
  explicit UpscaleCommand(CLI::App& app);

  bool is_chosen() const { return command_->parsed(); }
  // Runs it; returns the process exit status (0 only when every item succeeded).
  int run();

 private:
  // The items of this shard (all without --shard); same-stem inputs fail when results are kept
  // exactly once. InvalidArgument for a bad --shard/--shards.
  Result<pipeline::InputList> sharded_inputs(pipeline::InputList inputs);

  CLI::App* command_;
  std::vector<std::string> inputs_;
  std::map<std::string, double> numbers_;      // keyed by the option's JSON name
  std::map<std::string, std::string> texts_;
  bool crop_ = false;
  std::string to_;
  std::string fit_;                                   // cover, crop or outpaint
  std::map<std::string, std::string> fill_texts_;     // --fit outpaint's fill options, by JSON name
  std::string output_dir_ = "outputs/extras-images";
  std::string format_ = "png";
  int quality_ = 90;
  bool lossless_ = false;
  bool recursive_ = false;
  bool skip_existing_ = false;
  std::string shard_;      // --shard I/N or auto: this task's part of the batch
  int shards_ = 0;         // --shards N for --shard auto (0 = from the environment)
  std::string shard_text_;  // "I/N" once parsed
  std::string manifest_;   // --manifest FILE.jsonl: appended per item, read for --skip-existing
  long long max_pixels_ = 0;
  std::string models_dir_ = "models";
  int tile_px_ = 0;
  int overlap_px_ = 32;
  std::string max_memory_ = "4G";
  std::string precision_ = "auto";
  std::string backend_;
  std::string face_detector_ = "RetinaFace ResNet50";
  std::string gfpgan_model_ = "GFPGAN";
  std::string codeformer_model_ = "CodeFormer";
  bool only_center_face_ = false;
};

}  // namespace upres::cli
