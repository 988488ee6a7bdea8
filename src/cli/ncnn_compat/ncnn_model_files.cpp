#include "cli/ncnn_compat/ncnn_model_files.h"

#include <cstdio>
#include <string>

namespace upres::cli::ncnn_compat {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// The stem (path without .param/.bin) the original builds from its options.
Result<std::string> model_stem(const NcnnToolOptions& o) {
  const std::string& dir = o.model_dir;
  const std::string s = std::to_string(o.scale);
  switch (o.tool) {
    case NcnnTool::kRealEsrgan:
    case NcnnTool::kUpscayl:
      if (!contains(dir, "models")) {
        return invalid_argument(o.tool == NcnnTool::kUpscayl
                                    ? "Unknown model dir type. Make sure that the model directory is called 'models' "
                                      "with *.param and *.bin files inside it."
                                    : "unknown model dir type");
      }
      if (o.model_name == "realesr-animevideov3") return dir + "/" + o.model_name + "-x" + s;
      return dir + "/" + o.model_name;
    case NcnnTool::kRealCugan:
      if (!contains(dir, "models-se") && !contains(dir, "models-nose") && !contains(dir, "models-pro"))
        return invalid_argument("unknown model dir type");
      if (o.noise == -1) return dir + "/up" + s + "x-conservative";
      if (o.noise == 0) return dir + "/up" + s + "x-no-denoise";
      return dir + "/up" + s + "x-denoise" + std::to_string(o.noise) + "x";
    case NcnnTool::kWaifu2x:
      if (!contains(dir, "models-cunet") && !contains(dir, "models-upconv_7_anime_style_art_rgb") &&
          !contains(dir, "models-upconv_7_photo"))
        return invalid_argument("unknown model dir type");
      if (o.noise == -1) return dir + "/scale2.0x_model";
      if (o.scale == 1) return dir + "/noise" + std::to_string(o.noise) + "_model";
      return dir + "/noise" + std::to_string(o.noise) + "_scale2.0x_model";
  }
  return invalid_argument("unknown tool");
}

bool is_readable_file(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return false;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  std::fclose(file);
  return true;
}

// The original's sanitize_filepath: the path as given when it can be read, else the program's
// folder joined with it (an absolute path joined stays itself here).
fs::path sanitize(const fs::path& path, const fs::path& program_dir) {
  if (is_readable_file(path) || program_dir.empty()) return path;
  return program_dir / path.relative_path();
}

}  // namespace

Result<NcnnModelFiles> find_ncnn_model_files(const NcnnToolOptions& options, const fs::path& program_dir) {
  UPRES_ASSIGN_OR_RETURN(std::string stem, model_stem(options));
  NcnnModelFiles files;
  files.param = sanitize(stem + ".param", program_dir);
  files.bin = sanitize(stem + ".bin", program_dir);
  for (const fs::path& path : {files.param, files.bin})
    if (!is_readable_file(path)) return not_found("fopen " + path.string() + " failed");
  const bool plain = options.tool == NcnnTool::kRealEsrgan || options.tool == NcnnTool::kUpscayl;
  files.host_padding_px = plain ? 10 : 0;
  if (options.tool == NcnnTool::kWaifu2x)
    for (int s = options.scale; s > 2; s /= 2) ++files.passes;
  return files;
}

}  // namespace upres::cli::ncnn_compat
