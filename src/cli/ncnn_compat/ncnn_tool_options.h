// NcnnToolOptions: the command line of realesrgan-ncnn-vulkan, realcugan-ncnn-vulkan,
// waifu2x-ncnn-vulkan and upscayl-bin, parsed with each tool's getopt string, names and defaults
// (their src/main.cpp and -h texts). Plain values; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace upres::cli::ncnn_compat {

enum class NcnnTool { kRealEsrgan, kRealCugan, kWaifu2x, kUpscayl };

// The tool a program name stands for ("realesrgan-ncnn-vulkan", "upscayl-bin", ...; a trailing
// ".exe" is ignored), or nullopt.
std::optional<NcnnTool> ncnn_tool_named(std::string_view program_name);
std::string_view ncnn_tool_program_name(NcnnTool tool);

struct NcnnToolOptions {
  NcnnTool tool = NcnnTool::kRealEsrgan;
  std::string input, output;                // -i, -o: files, or folders both
  int scale = 4;                            // -s (upscayl-bin: -z, the model's scale)
  int noise = 0;                            // -n for realcugan (-1..3) and waifu2x (-1..3)
  std::string model_dir;                    // -m
  std::string model_name;                   // -n for realesrgan and upscayl-bin
  std::vector<int> tile_sizes;              // -t, one per GPU; 0 = auto
  std::vector<int> gpu_ids;                 // -g: accepted, the CPU runs everything
  int jobs_load = 1, jobs_save = 2;         // -j load:proc:save
  std::vector<int> jobs_proc;
  std::string format = "png";               // -f: png, jpg or webp
  bool tta = false;                         // -x
  bool verbose = false;                     // -v
  int syncgap = 3;                          // -c for realcugan (0..3)
  std::optional<int> output_scale;          // upscayl-bin -s
  std::optional<int> custom_width;          // upscayl-bin -w
  std::optional<std::pair<int, int>> resize;  // upscayl-bin -r WxH
  double compression = 0;                   // upscayl-bin -c, 0..100 rounded to tens
};

// The tool's defaults (scale, noise, model folder and name as its main.cpp sets them).
NcnnToolOptions default_ncnn_tool_options(NcnnTool tool);

// Parses `args` (without the program name) as the tool's getopt would (grouped flags, attached or
// separate values, non-options skipped) and checks them as the tool does before any work.
// InvalidArgument carries the line to print; "usage" alone means: print only the usage (-h, or
// -i/-o missing), as the originals do.
Result<NcnnToolOptions> parse_ncnn_tool_options(NcnnTool tool, const std::vector<std::string>& args);

// The tool's -h text.
std::string ncnn_tool_usage(NcnnTool tool);

}  // namespace upres::cli::ncnn_compat
