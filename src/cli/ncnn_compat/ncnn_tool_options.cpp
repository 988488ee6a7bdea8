#include "cli/ncnn_compat/ncnn_tool_options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace upres::cli::ncnn_compat {
namespace {

// Each tool's getopt string (a letter followed by ':' takes a value).
const char* option_letters(NcnnTool tool) {
  switch (tool) {
    case NcnnTool::kRealEsrgan: return "i:o:s:t:m:n:g:j:f:vxh";
    case NcnnTool::kRealCugan: return "i:o:n:s:t:c:m:g:j:f:vxh";
    case NcnnTool::kWaifu2x: return "i:o:n:s:t:m:g:j:f:vxh";
    case NcnnTool::kUpscayl: return "i:o:z:s:r:w:t:c:m:n:g:j:f:vxh";
  }
  return "";
}

// atoi's reading of "1,2,3" one item at a time, as the originals' parse_optarg_int_array.
std::vector<int> int_list(const std::string& text) {
  std::vector<int> values;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    values.push_back(std::atoi(text.substr(begin, comma - begin).c_str()));
    if (comma == std::string::npos) return values;
    begin = comma + 1;
  }
}

Status usage_only() { return invalid_argument("usage"); }

// Applies one option letter with its value (empty for flags).
Status apply_option(NcnnToolOptions& o, char letter, const std::string& value) {
  const bool upscayl = o.tool == NcnnTool::kUpscayl;
  const bool noise_tool = o.tool == NcnnTool::kRealCugan || o.tool == NcnnTool::kWaifu2x;
  switch (letter) {
    case 'i': o.input = value; break;
    case 'o': o.output = value; break;
    case 'z': o.scale = std::atoi(value.c_str()); break;
    case 's':
      if (upscayl) o.output_scale = std::atoi(value.c_str());
      else o.scale = std::atoi(value.c_str());
      break;
    case 'n':
      if (noise_tool) o.noise = std::atoi(value.c_str());
      else o.model_name = value;
      break;
    case 'm': o.model_dir = value; break;
    case 't': o.tile_sizes = int_list(value); break;
    case 'g': o.gpu_ids = int_list(value); break;
    case 'j': {
      const size_t colon = value.find(':');
      if (colon == std::string::npos) return invalid_argument("invalid thread count argument");
      std::sscanf(value.c_str(), "%d:%*[^:]:%d", &o.jobs_load, &o.jobs_save);
      o.jobs_proc = int_list(value.substr(colon + 1, value.find(':', colon + 1) - colon - 1));
      break;
    }
    case 'f': o.format = value; break;
    case 'v': o.verbose = true; break;
    case 'x': o.tta = true; break;
    case 'c':
      if (upscayl) {
        o.compression = std::atof(value.c_str());
        if (o.compression < 0 || o.compression > 100)
          return invalid_argument("Invalid compression value, it should be between 0 and 100!");
        o.compression = std::round(o.compression / 10.0) * 10;
      } else {
        o.syncgap = std::atoi(value.c_str());
      }
      break;
    case 'w': {
      int width = 0;
      if (std::sscanf(value.c_str(), "%d", &width) != 1 || width < 1) return invalid_argument("Invalid resize value!");
      o.custom_width = width;
      break;
    }
    case 'r': {
      int width = 0, height = 0;
      if (std::sscanf(value.c_str(), "%dx%d", &width, &height) != 2 || width < 1 || height < 1)
        return invalid_argument("Invalid resize value!");
      o.resize = std::pair{width, height};
      break;
    }
    default: return usage_only();  // 'h'
  }
  return Status::ok();
}

// The checks each main() makes once the options are read, in the same order and words.
Status check_options(const NcnnToolOptions& o) {
  if (o.input.empty() || o.output.empty()) return usage_only();
  const size_t gpus = o.gpu_ids.empty() ? 1 : o.gpu_ids.size();
  if (o.tool == NcnnTool::kRealCugan || o.tool == NcnnTool::kWaifu2x) {
    if (o.noise < -1 || o.noise > 3) return invalid_argument("invalid noise argument");
  }
  if (o.tool == NcnnTool::kRealCugan && (o.scale < 1 || o.scale > 4)) return invalid_argument("invalid scale argument");
  if (o.tool == NcnnTool::kWaifu2x) {
    const int s = o.scale;
    if (!(s == 1 || s == 2 || s == 4 || s == 8 || s == 16 || s == 32)) return invalid_argument("invalid scale argument");
  }
  if ((o.tool == NcnnTool::kRealEsrgan || o.tool == NcnnTool::kUpscayl) && (o.scale < 2 || o.scale > 4))
    return invalid_argument("invalid scale argument");
  if (o.output_scale && (*o.output_scale < 1 || *o.output_scale > 16)) return invalid_argument("invalid output scale argument");
  if (!o.tile_sizes.empty() && o.tile_sizes.size() != gpus) return invalid_argument("invalid tilesize argument");
  if (o.tool == NcnnTool::kRealCugan && !(o.syncgap >= 0 && o.syncgap <= 3)) return invalid_argument("invalid syncgap argument");
  for (int tile : o.tile_sizes)
    if (tile != 0 && tile < 32) return invalid_argument("invalid tilesize argument");
  if (o.jobs_load < 1 || o.jobs_save < 1) return invalid_argument("invalid thread count argument");
  if (!o.jobs_proc.empty() && o.jobs_proc.size() != gpus) return invalid_argument("invalid jobs_proc thread count argument");
  for (int jobs : o.jobs_proc)
    if (jobs < 1) return invalid_argument("invalid jobs_proc thread count argument");
  return Status::ok();
}

}  // namespace

std::optional<NcnnTool> ncnn_tool_named(std::string_view name) {
  if (name.ends_with(".exe")) name.remove_suffix(4);
  for (NcnnTool tool : {NcnnTool::kRealEsrgan, NcnnTool::kRealCugan, NcnnTool::kWaifu2x, NcnnTool::kUpscayl})
    if (name == ncnn_tool_program_name(tool)) return tool;
  return std::nullopt;
}

std::string_view ncnn_tool_program_name(NcnnTool tool) {
  switch (tool) {
    case NcnnTool::kRealEsrgan: return "realesrgan-ncnn-vulkan";
    case NcnnTool::kRealCugan: return "realcugan-ncnn-vulkan";
    case NcnnTool::kWaifu2x: return "waifu2x-ncnn-vulkan";
    case NcnnTool::kUpscayl: return "upscayl-bin";
  }
  return "";
}

NcnnToolOptions default_ncnn_tool_options(NcnnTool tool) {
  NcnnToolOptions o;
  o.tool = tool;
  switch (tool) {
    case NcnnTool::kRealEsrgan: o.scale = 4; o.model_dir = "models"; o.model_name = "realesr-animevideov3"; break;
    case NcnnTool::kRealCugan: o.scale = 2; o.noise = -1; o.model_dir = "models-se"; break;
    case NcnnTool::kWaifu2x: o.scale = 2; o.noise = 0; o.model_dir = "models-cunet"; break;
    case NcnnTool::kUpscayl: o.scale = 4; o.model_dir = "models"; o.model_name = "realesrgan-x4plus"; break;
  }
  return o;
}

Result<NcnnToolOptions> parse_ncnn_tool_options(NcnnTool tool, const std::vector<std::string>& args) {
  NcnnToolOptions options = default_ncnn_tool_options(tool);
  const std::string letters = option_letters(tool);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;  // glibc getopt skips non-options
    for (size_t k = 1; k < arg.size(); ++k) {
      const char letter = arg[k];
      const size_t at = letter == ':' ? std::string::npos : letters.find(letter);
      if (at == std::string::npos) return invalid_argument(std::string("invalid option -- '") + letter + "'");
      const bool takes_value = at + 1 < letters.size() && letters[at + 1] == ':';
      if (!takes_value) {
        UPRES_RETURN_IF_ERROR(apply_option(options, letter, ""));
        continue;
      }
      std::string value;
      if (k + 1 < arg.size()) {
        value = arg.substr(k + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return invalid_argument(std::string("option requires an argument -- '") + letter + "'");
      }
      UPRES_RETURN_IF_ERROR(apply_option(options, letter, value));
      break;
    }
  }
  UPRES_RETURN_IF_ERROR(check_options(options));
  return options;
}

std::string ncnn_tool_usage(NcnnTool tool) {
  const std::string name(ncnn_tool_program_name(tool));
  std::string text = "Usage: " + name + " -i infile -o outfile [options]...\n\n"
                     "  -h                   show this help\n"
                     "  -v                   verbose output\n"
                     "  -i input-path        input image path (jpg/png/webp) or directory\n"
                     "  -o output-path       output image path (jpg/png/webp) or directory\n";
  switch (tool) {
    case NcnnTool::kRealEsrgan:
      text += "  -s scale             upscale ratio (can be 2, 3, 4. default=4)\n"
              "  -m model-path        folder path to the pre-trained models. default=models\n"
              "  -n model-name        model name (default=realesr-animevideov3, can be realesr-animevideov3 | "
              "realesrgan-x4plus | realesrgan-x4plus-anime | realesrnet-x4plus)\n";
      break;
    case NcnnTool::kRealCugan:
      text += "  -n noise-level       denoise level (-1/0/1/2/3, default=-1)\n"
              "  -s scale             upscale ratio (1/2/3/4, default=2)\n"
              "  -c syncgap-mode      sync gap mode (0/1/2/3, default=3)\n"
              "  -m model-path        realcugan model path (default=models-se)\n";
      break;
    case NcnnTool::kWaifu2x:
      text += "  -n noise-level       denoise level (-1/0/1/2/3, default=0)\n"
              "  -s scale             upscale ratio (1/2/4/8/16/32, default=2)\n"
              "  -m model-path        waifu2x model path (default=models-cunet)\n";
      break;
    case NcnnTool::kUpscayl:
      text += "  -z model-scale       scale according to the model (can be 2, 3, 4. default=4)\n"
              "  -s output-scale      custom output scale (can be 2, 3, 4. default=4)\n"
              "  -r resize            resize output to dimension (WxH)\n"
              "  -w width             resize output to a width, keeping the aspect ratio\n"
              "  -c compress          compression of the output image, default 0 and varies to 100\n"
              "  -m model-path        folder path to the pre-trained models. default=models\n"
              "  -n model-name        model name (default=realesrgan-x4plus, can be realesr-animevideov3 | "
              "realesrgan-x4plus-anime | realesrnet-x4plus or any other model)\n";
      break;
  }
  text += "  -t tile-size         tile size (>=32/0=auto, default=0) can be 0,0,0 for multi-gpu\n"
          "  -g gpu-id            accepted for compatibility; upres runs on the CPU\n"
          "  -j load:proc:save    thread count for load/proc/save (default=1:2:2) can be 1:2,2,2:2 for multi-gpu\n"
          "  -x                   enable tta mode\n"
          "  -f format            output image format (jpg/png/webp, default=ext/png)\n";
  return text;
}

}  // namespace upres::cli::ncnn_compat
