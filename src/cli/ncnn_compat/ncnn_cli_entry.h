// The ways upres is asked to be an ncnn-vulkan tool: invoked as realesrgan-ncnn-vulkan,
// realcugan-ncnn-vulkan, waifu2x-ncnn-vulkan or upscayl-bin (a symlink or a copy), or as
// `upres ncnn-cli TOOL ARGS...`. Thread-compatible (reads PATH).
#pragma once
#include <optional>

namespace upres::cli::ncnn_compat {

// The exit status of the tool run when argv asks for one; nullopt for upres's own command line.
std::optional<int> run_ncnn_cli_if_invoked(int argc, char** argv);

}  // namespace upres::cli::ncnn_compat
