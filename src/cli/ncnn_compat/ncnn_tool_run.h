// run_ncnn_tool: upres answering an ncnn-vulkan tool's command line (realesrgan-ncnn-vulkan,
// realcugan-ncnn-vulkan, waifu2x-ncnn-vulkan, upscayl-bin) with that tool's behaviour: files or
// folders, its output names and formats, "NN.NN%" progress lines on stderr, failures as stderr
// lines containing "Error" or "failed" and a non-zero status, stdout quiet. Runs on the CPU.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "cli/ncnn_compat/ncnn_tool_options.h"

namespace upres::cli::ncnn_compat {

// Runs `tool` with `args` (the words after the program name); models named without a usable
// path are looked up under `program_dir`. Returns the process exit status: 0 when every picture
// was written, 255 (the originals' -1) otherwise.
int run_ncnn_tool(NcnnTool tool, const std::vector<std::string>& args, const std::filesystem::path& program_dir);

}  // namespace upres::cli::ncnn_compat
