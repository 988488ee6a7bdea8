// NcnnModelFiles: which .param/.bin pair an ncnn-vulkan tool loads for its options, named as
// the originals name them (realesrgan: NAME.param, realesr-animevideov3-xS; realcugan:
// upSx-conservative / no-denoise / denoiseNx; waifu2x: noiseN_scale2.0x_model), found as given or
// beside the program, as the originals' sanitize_filepath does. Plain values; thread-safe.
#pragma once
#include <filesystem>

#include "base/result.h"
#include "cli/ncnn_compat/ncnn_tool_options.h"

namespace upres::cli::ncnn_compat {

struct NcnnModelFiles {
  std::filesystem::path param, bin;
  // Pixels of reflect padding the host program adds on every side before a graph that does not
  // pad itself (Real-ESRGAN's prepadding 10); 0 where upres's model folds the host convention in.
  int host_padding_px = 0;
  // Model runs per picture: waifu2x reaches 4x, 8x, ... by repeating its 2x model.
  int passes = 1;
};

// The files for `options`, looked up as given, else under `program_dir` (the folder of the path
// the tool was invoked by). InvalidArgument "unknown model dir type" for a -m folder the original
// refuses; NotFound naming the file when the .param or .bin is missing.
Result<NcnnModelFiles> find_ncnn_model_files(const NcnnToolOptions& options,
                                             const std::filesystem::path& program_dir);

}  // namespace upres::cli::ncnn_compat
