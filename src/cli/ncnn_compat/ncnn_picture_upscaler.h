// NcnnPictureUpscaler: one picture through an ncnn-vulkan tool's model the way the tool treats
// it, on upres's pipeline: grey becomes RGB, the host's padding, the network pass(es) (NeuralUpscaler,
// untiled-equivalent), TTA's 8 flips averaged, outputs clamped, alpha upscaled by ncnn's bicubic,
// then the size the options ask for. Progress is reported as the fraction done. One picture at a
// time (it reuses the NeuralUpscaler's executable).
#pragma once
#include <functional>
#include <memory>

#include "cli/ncnn_compat/ncnn_model_files.h"
#include "cli/ncnn_compat/ncnn_tool_options.h"
#include "image/image.h"
#include "pipeline/neural_upscaler.h"

namespace upres::cli::ncnn_compat {

class NcnnPictureUpscaler {
 public:
  using FractionListener = std::function<void(double fraction_done)>;

  NcnnPictureUpscaler(std::shared_ptr<pipeline::NeuralUpscaler> network, NcnnModelFiles files,
                      NcnnToolOptions options);

  // The upscaled picture: 8-bit RGB, or RGBA when `input` has alpha; no metadata (the originals
  // write none). `on_fraction` hears the share of the network work done before each run.
  Result<image::Image> upscale(const image::Image& input, const FractionListener& on_fraction);

 private:
  // One model pass over the colour (TTA: eight, averaged); clamped to [0, 1].
  Result<image::Image> run_colour_pass(const image::Image& rgb, int run_index, int run_count,
                                       const FractionListener& on_fraction);
  // The size the tool writes for an input of width x height after the network's `reached` scale.
  std::pair<int, int> final_size(int width, int height, int reached) const;

  std::shared_ptr<pipeline::NeuralUpscaler> network_;
  NcnnModelFiles files_;
  NcnnToolOptions options_;
};

}  // namespace upres::cli::ncnn_compat
