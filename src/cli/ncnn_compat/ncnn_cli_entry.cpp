#include "cli/ncnn_compat/ncnn_cli_entry.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/ncnn_compat/ncnn_tool_run.h"

namespace upres::cli::ncnn_compat {
namespace {

namespace fs = std::filesystem;

// The folder of the path the program was started by, symlinks not followed: wrappers put models
// beside the binary they call, and that binary is our symlink. argv[0] without a slash was found
// on PATH; failing everything, the folder of upres itself.
fs::path invoked_program_dir(const char* argv0) {
  const std::string name = argv0 == nullptr ? "" : argv0;
  std::error_code error;
  if (name.find('/') != std::string::npos) return fs::absolute(fs::path(name), error).parent_path();
  if (const char* path = std::getenv("PATH"); path != nullptr && !name.empty()) {
    std::string dirs = path;
    size_t begin = 0;
    while (begin <= dirs.size()) {
      const size_t end = std::min(dirs.find(':', begin), dirs.size());
      const fs::path dir = dirs.substr(begin, end - begin).empty() ? fs::path(".") : fs::path(dirs.substr(begin, end - begin));
      if (::access((dir / name).c_str(), X_OK) == 0) return fs::absolute(dir, error);
      begin = end + 1;
    }
  }
  return fs::read_symlink("/proc/self/exe", error).parent_path();
}

}  // namespace

std::optional<int> run_ncnn_cli_if_invoked(int argc, char** argv) {
  if (argc < 1) return std::nullopt;
  const std::string program = fs::path(argv[0]).filename().string();
  if (std::optional<NcnnTool> tool = ncnn_tool_named(program))
    return run_ncnn_tool(*tool, std::vector<std::string>(argv + 1, argv + argc), invoked_program_dir(argv[0]));
  if (argc < 2 || std::string(argv[1]) != "ncnn-cli") return std::nullopt;
  std::optional<NcnnTool> tool = argc >= 3 ? ncnn_tool_named(argv[2]) : std::nullopt;
  if (!tool) {
    std::fprintf(stderr,
                 "Error: upres ncnn-cli TOOL ARGS...: TOOL must be realesrgan-ncnn-vulkan, realcugan-ncnn-vulkan, "
                 "waifu2x-ncnn-vulkan or upscayl-bin%s%s\n",
                 argc >= 3 ? ", not " : "", argc >= 3 ? argv[2] : "");
    return 2;
  }
  return run_ncnn_tool(*tool, std::vector<std::string>(argv + 3, argv + argc), invoked_program_dir(argv[0]));
}

}  // namespace upres::cli::ncnn_compat
