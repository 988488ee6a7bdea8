#include "cli/ncnn_compat/ncnn_tool_run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/file_io.h"
#include "base/thread_budget.h"
#include "cli/ncnn_compat/ncnn_model_files.h"
#include "cli/ncnn_compat/ncnn_picture_upscaler.h"
#include "image/image_codec.h"
#include "models/upscale_model.h"
#include "pipeline/neural_upscaler.h"

namespace upres::cli::ncnn_compat {
namespace {

namespace fs = std::filesystem;

constexpr int kFailure = 255;  // the originals return -1 from main

struct Job {
  fs::path input, output;
};

void print_error(NcnnTool tool, const std::string& message) {
  std::fprintf(stderr, "%sError: %s\n", tool == NcnnTool::kUpscayl ? "\xF0\x9F\x9A\xA8 " : "", message.c_str());
}

bool is_directory(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

// "png", "webp" or "jpg" for an extension the tools write, else "".
std::string format_of_extension(std::string ext) {
  if (!ext.empty() && ext[0] == '.') ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == "png" || ext == "webp") return ext;
  if (ext == "jpg" || ext == "jpeg") return "jpg";
  return "";
}

// Input and output paths as the originals pair them: file to file, or every file of a folder to
// <stem>.<format> in the output folder (<name>.<format> when two inputs share a stem).
Result<std::vector<Job>> collect_jobs(const NcnnToolOptions& o, const std::string& format) {
  const bool in_dir = is_directory(o.input), out_dir = is_directory(o.output);
  if (in_dir != out_dir)
    return invalid_argument("inputpath and outputpath must be either file or directory at the same time");
  if (!in_dir) return std::vector<Job>{{o.input, o.output}};
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(o.input, error), end; !error && it != end; it.increment(error))
    if (!it->is_directory()) names.push_back(it->path().filename().string());
  if (error) return io_error("cannot list " + o.input + ": " + error.message());
  std::sort(names.begin(), names.end());
  std::vector<Job> jobs;
  std::string last_stem;
  for (const std::string& name : names) {
    const std::string stem = fs::path(name).stem().string();
    std::string out_name = stem + "." + format;
    if (!jobs.empty() && stem == last_stem) {
      std::fprintf(stderr, "both %s and %s output %s ! %s will output %s\n", name.c_str(),
                   jobs.back().input.filename().c_str(), out_name.c_str(), name.c_str(), (name + "." + format).c_str());
      out_name = name + "." + format;
    } else {
      last_stem = stem;
    }
    jobs.push_back({fs::path(o.input) / name, fs::path(o.output) / out_name});
  }
  return jobs;
}

image::EncodeOptions encode_options_for(const NcnnToolOptions& o, const std::string& format) {
  image::EncodeOptions encode;
  const int quality = o.tool == NcnnTool::kUpscayl ? std::clamp(100 - static_cast<int>(o.compression), 1, 100) : 100;
  if (format == "jpg") {
    encode.format = image::ImageFormat::kJpeg;
    encode.quality = quality;
  } else if (format == "webp") {
    encode.format = image::ImageFormat::kWebp;
    encode.quality = quality;
    encode.lossless = o.tool != NcnnTool::kUpscayl;  // webp_save is lossless in the nihui tools
  }
  return encode;
}

// Decodes, upscales and writes one picture; false (after printing why) when it failed.
bool run_job(const NcnnToolOptions& o, NcnnPictureUpscaler& upscaler, Job job) {
  Result<image::Image> input = image::read_image(job.input);
  if (!input.is_ok()) {
    if (o.tool == NcnnTool::kUpscayl)
      print_error(o.tool, "Couldn't read the image '" + job.input.string() + "'! (" + input.status().message() + ")");
    else
      std::fprintf(stderr, "decode image %s failed (%s)\n", job.input.c_str(), input.status().message().c_str());
    return false;
  }
  std::string format = format_of_extension(job.output.extension().string());
  if (input->has_alpha() && format == "jpg") {
    const fs::path png = job.output.string() + ".png";
    std::fprintf(stderr, "image %s has alpha channel ! %s will output %s\n", job.input.c_str(), job.input.c_str(),
                 png.c_str());
    job.output = png;
    format = "png";
  }
  auto print_percent = [](double fraction) { std::fprintf(stderr, "%.2f%%\n", fraction * 100.0); };
  Result<image::Image> output = upscaler.upscale(*input, print_percent);
  if (!output.is_ok()) {
    print_error(o.tool, "upscaling " + job.input.string() + " failed: " + output.status().message());
    return false;
  }
  Status saved = format.empty() ? invalid_argument("unknown output extension") : Status::ok();
  if (saved.is_ok()) {
    std::error_code error;
    const fs::path parent = fs::absolute(job.output).parent_path();
    if (!fs::exists(parent, error)) fs::create_directories(parent, error);
    Result<std::vector<uint8_t>> bytes = image::encode_image(*output, encode_options_for(o, format));
    saved = bytes.is_ok() ? write_file_atomic(job.output, *bytes) : bytes.status();
  }
  if (!saved.is_ok()) {
    if (o.tool == NcnnTool::kUpscayl)
      print_error(o.tool, "Couldn't write the image " + job.output.string() + " (" + saved.message() + ")");
    else
      std::fprintf(stderr, "encode image %s failed (%s)\n", job.output.c_str(), saved.message().c_str());
    return false;
  }
  if (o.verbose) std::fprintf(stderr, "%s -> %s done\n", job.input.c_str(), job.output.c_str());
  return true;
}

// The originals' -t counts pixels before their padding; so does upres's automatic tile (from the
// memory budget): a picture that fits one tile unpadded stays one tile, not four overlapping ones.
int tile_px_for(const NcnnToolOptions& o, const models::UpscaleModel& model, int padding_px) {
  if (!o.tile_sizes.empty() && o.tile_sizes[0] > 0) return o.tile_sizes[0] + 2 * padding_px;
  const pipeline::InferenceOptions defaults;
  const double budget = std::max(0.0, defaults.max_memory_bytes - models::UpscaleModel::kFixedExecutableBytes);
  const double pixels = budget / std::max(1.0, model.bytes_per_input_pixel());
  return std::clamp(static_cast<int>(std::sqrt(pixels)), 64, 1024) + 2 * padding_px;
}

// The network's worker threads; 0 = the backend's default (usable_threads()). The
// originals' CPU path (-g -1) gives ncnn min(proc, cores) threads, so an explicit -j does that
// here (the first GPU's proc: upres runs every -g entry on the one CPU). Without -j the originals
// would use 2 (jobs_proc's default), but there the CPU path is a fallback beside a GPU doing the
// real work; upres has no GPU to hand the work to, so it keeps every core.
int worker_threads_for(const NcnnToolOptions& o) {
  if (o.jobs_proc.empty()) return 0;
  return std::min(o.jobs_proc[0], available_cpus());
}

}  // namespace

int run_ncnn_tool(NcnnTool tool, const std::vector<std::string>& args, const fs::path& program_dir) {
  Result<NcnnToolOptions> parsed = parse_ncnn_tool_options(tool, args);
  if (!parsed.is_ok()) {
    if (parsed.status().message() != "usage") print_error(tool, parsed.status().message());
    std::fputs(ncnn_tool_usage(tool).c_str(), stderr);
    return kFailure;
  }
  NcnnToolOptions& o = *parsed;
  if (!o.gpu_ids.empty()) std::fprintf(stderr, "upres: -g ignored: no GPU needed, running on the CPU\n");
  // A file output's extension decides the format (upscayl-bin: -f does), as in the originals.
  if (!is_directory(o.output)) {
    const std::string ext = fs::path(o.output).extension().string();
    const std::string format = format_of_extension(tool == NcnnTool::kUpscayl ? o.format : ext);
    if (format.empty()) {
      print_error(tool, tool == NcnnTool::kUpscayl ? "Invalid output path extension or type!"
                                                   : "invalid outputpath extension type");
      return kFailure;
    }
    o.format = format;
  }
  if (format_of_extension(o.format) != o.format) {
    print_error(tool, "invalid format argument");
    return kFailure;
  }
  Result<std::vector<Job>> jobs = collect_jobs(o, o.format);
  Result<NcnnModelFiles> files = jobs.is_ok() ? find_ncnn_model_files(o, program_dir) : jobs.status();
  if (!files.is_ok()) {
    print_error(tool, files.status().message());
    return kFailure;
  }
  Result<std::shared_ptr<const models::UpscaleModel>> model = models::load_upscale_model(files->param);
  if (!model.is_ok()) {
    print_error(tool, "loading model " + files->param.string() + " failed: " + model.status().message());
    return kFailure;
  }
  pipeline::InferenceOptions inference;
  inference.precision = pipeline::Precision::kF32;  // the originals' fp32 pictures, not bf16's
  inference.tile_px = tile_px_for(o, **model, files->host_padding_px);
  inference.num_threads = worker_threads_for(o);
  if (o.verbose) {
    const int threads = inference.num_threads > 0 ? inference.num_threads : usable_threads();
    std::fprintf(stderr, "upres: %d worker thread%s\n", threads, threads == 1 ? "" : "s");
  }
  auto network = std::make_shared<pipeline::NeuralUpscaler>(files->param.stem().string(), *model, inference);
  NcnnPictureUpscaler upscaler(network, *files, o);
  int failures = 0;
  for (const Job& job : *jobs)
    if (!run_job(o, upscaler, job)) ++failures;
  return failures == 0 ? 0 : kFailure;
}

}  // namespace upres::cli::ncnn_compat
