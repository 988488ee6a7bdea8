#include "cli/upscale_command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "cli/batch_recording.h"
#include "cli/cli_error.h"
#include "cli/encode_flags.h"
#include "cli/reported_batch.h"
#include "pipeline/batch_run.h"
#include "pipeline/extras_options.h"
#include "pipeline/model_upscalers.h"
#include "pipeline/run_extras.h"
#include "pipeline/run_manifest.h"
#include "pipeline/run_outpaint.h"
#include "pipeline/shard_partition.h"
#include "pipeline/upscaler_registry.h"

namespace upres::cli {
namespace {

// "--to 1920x1080" -> (1920, 1080).
Status parse_box(const std::string& text, pipeline::ExtrasRequest& request) {
  int width = 0, height = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &width, &x, &height, &extra) != 3 || (x != 'x' && x != 'X'))
    return invalid_argument("--to: expected WIDTHxHEIGHT, e.g. 1920x1080, got \"" + text + "\"");
  using pipeline::set_extras_option, pipeline::find_extras_option;
  request.resize_mode = pipeline::ResizeMode::kScaleTo;
  UPRES_RETURN_IF_ERROR(set_extras_option(request, *find_extras_option("upscaling_resize_w"), double(width)));
  return set_extras_option(request, *find_extras_option("upscaling_resize_h"), double(height));
}

// --fit: how --to's box is met. Empty keeps what --crop says.
Status apply_fit(const std::string& fit, bool crop, pipeline::ExtrasRequest& request) {
  if (fit.empty()) return Status::ok();
  if (fit != "cover" && fit != "crop" && fit != "outpaint")
    return invalid_argument("--fit: unknown mode \"" + fit + "\" (expected cover, crop or outpaint)");
  if (request.resize_mode != pipeline::ResizeMode::kScaleTo) return invalid_argument("--fit needs --to WIDTHxHEIGHT");
  if (crop && fit != "crop") return invalid_argument("--crop and --fit " + fit + " disagree: give one");
  request.crop_to_fit = fit == "crop";
  request.outpaint_to_fit = fit == "outpaint";
  return Status::ok();
}

// "512M", "4G", "1500000000" -> bytes.
Result<int64_t> parse_bytes(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  double multiplier = unit.empty() ? 1 : unit == "K" ? 1e3 : unit == "M" ? 1 << 20 : unit == "G" ? 1 << 30 : -1;
  if (end == text.c_str() || multiplier < 0 || value <= 0)
    return invalid_argument("--max-memory: expected a size such as 512M or 4G, got \"" + text + "\"");
  return static_cast<int64_t>(value * multiplier);
}

Result<pipeline::InferenceOptions> inference_options(int tile_px, int overlap_px, const std::string& max_memory,
                                                     const std::string& precision, const std::string& backend) {
  pipeline::InferenceOptions options;
  if (tile_px != 0 && (tile_px < 32 || tile_px > 4096))
    return invalid_argument("--tile: " + std::to_string(tile_px) + " is out of range [32, 4096] (0 = automatic)");
  if (overlap_px < 0 || overlap_px > 256)
    return invalid_argument("--tile-overlap: " + std::to_string(overlap_px) + " is out of range [0, 256]");
  options.tile_px = tile_px;
  options.overlap_px = overlap_px;
  UPRES_ASSIGN_OR_RETURN(options.max_memory_bytes, parse_bytes(max_memory));
  auto parsed = pipeline::parse_precision(precision);
  if (!parsed.is_ok()) return invalid_argument("--" + parsed.status().message());
  options.precision = parsed.value();
  options.backend = backend;
  return options;
}

// The records a previous run left in `manifest` (none when it does not exist yet).
Status read_earlier_records(const std::string& manifest, std::vector<pipeline::ManifestRecord>& records) {
  auto contents = pipeline::read_manifest(manifest);
  if (!contents.is_ok()) return contents.status().code() == StatusCode::kNotFound ? Status::ok() : contents.status();
  for (const std::string& bad : contents->bad_lines) std::fprintf(stderr, "upres: ignoring %s\n", bad.c_str());
  records = std::move(contents->records);
  return Status::ok();
}

}  // namespace

UpscaleCommand::UpscaleCommand(CLI::App& app) {
  command_ = app.add_subcommand("upscale", "Upscale images (files, folders, globs)");
  command_->add_option("inputs", inputs_, "image files, folders or globs")->required();
  for (const pipeline::ExtrasOption& option : pipeline::extras_options()) {
    if (option.cli_flag.empty()) continue;
    const std::string flag(option.cli_flag), name(option.json_name), help(option.help);
    switch (option.kind) {
      case pipeline::OptionKind::kBool:
        command_->add_flag(flag, crop_, help);
        break;
      case pipeline::OptionKind::kUpscalerName:
        command_->add_option(flag, texts_[name], help)->default_str(std::string(option.cli_default_text));
        break;
      default:
        command_->add_option(flag, numbers_[name], help)->default_str(std::to_string(option.cli_default));
        break;
    }
  }
  command_->add_option("--to", to_, "scale to WIDTHxHEIGHT (covers the box; with --crop, cut to it)");
  command_->add_option("--fit", fit_,
                       "with --to: cover (scale to cover the box), crop (cover, then cut to it; as --crop) or "
                       "outpaint (scale to fit inside, then extend to exactly the box)");
  for (const pipeline::OutpaintOption& option : pipeline::outpaint_options()) {
    if (!option.is_fill_option) continue;
    CLI::Option* flag = command_->add_option(std::string(option.cli_flag), fill_texts_[std::string(option.json_name)],
                                             "--fit outpaint: " + std::string(option.help));
    if (!option.default_text.empty()) flag->default_str(std::string(option.default_text));
  }
  command_->add_option("-o,--output", output_dir_, "output folder")->capture_default_str();
  add_encode_flags(*command_, format_, quality_, lossless_);
  command_->add_flag("-r,--recursive", recursive_, "include sub-folders of folder inputs");
  command_->add_flag("--skip-existing", skip_existing_,
                     "skip batch items whose result exists and was made from the same input with the same "
                     "parameters (by --manifest, else the PNG's upres-source stamp); resume a run");
  command_->add_option("--shard", shard_,
                       "run only shard I/N of the batch (0 <= I < N; by a hash of each input's relative path), or "
                       "auto: I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, N from --shards or "
                       "SLURM_ARRAY_TASK_COUNT");
  command_->add_option("--shards", shards_, "shard count for --shard auto (the job array's size)");
  command_->add_option("--manifest", manifest_,
                       "append one JSON line per finished item to this file (shared by tasks, or one per task); "
                       "--skip-existing reads it");
  command_->add_option("--max-pixels", max_pixels_, "refuse inputs with more decoded pixels than this");
  command_->add_option("--models", models_dir_, "models folder")->capture_default_str();
  command_->add_option("--tile", tile_px_, "tile side in input pixels (0 = from --max-memory)")->capture_default_str();
  command_->add_option("--tile-overlap", overlap_px_, "context each tile gets past its core, in pixels")->capture_default_str();
  command_->add_option("--max-memory", max_memory_, "memory budget for a tile's activations (e.g. 512M, 4G)")->capture_default_str();
  command_
      ->add_option("--precision", precision_,
                   "auto (bf16 where it outruns fp32, on AMX CPUs, for models that keep "
                   "45 dB against fp32 in it; else fp32; "
                   "`upres info --cpu` says which), fp32, or bf16 (CPUs with avx512_bf16 or AMX); "
                   "applies to the upscalers and the face restorers (face detection runs fp32)")
      ->capture_default_str();
  command_->add_option("--backend", backend_, "inference backend: cpu or reference (default: the fastest built)");
  command_->add_option("--face-detector", face_detector_, "face detector for --gfpgan/--codeformer: name or .pth file")->capture_default_str();
  command_->add_option("--gfpgan-model", gfpgan_model_, "GFPGAN weights: name or .pth file")->capture_default_str();
  command_->add_option("--codeformer-model", codeformer_model_, "CodeFormer weights: name or .pth file")->capture_default_str();
  command_->add_flag("--only-center-face", only_center_face_, "restore only the face nearest the picture's centre");
}

int UpscaleCommand::run() {
  pipeline::ExtrasRequest request = pipeline::default_cli_request();
  Status status;
  // Only options given on the command line override the defaults.
  for (const pipeline::ExtrasOption& option : pipeline::extras_options()) {
    const std::string name(option.json_name);
    const CLI::Option* flag = option.cli_flag.empty() ? nullptr : command_->get_option(std::string(option.cli_flag));
    if (!status.is_ok() || !flag || flag->count() == 0) continue;
    if (option.kind == pipeline::OptionKind::kBool) status = set_extras_option(request, option, crop_);
    else if (option.kind == pipeline::OptionKind::kUpscalerName) status = set_extras_option(request, option, texts_[name]);
    else status = set_extras_option(request, option, numbers_[name]);
  }
  if (status.is_ok() && !to_.empty()) status = parse_box(to_, request);
  if (status.is_ok()) status = apply_fit(fit_, crop_, request);
  pipeline::OutpaintRequest outpaint_request;
  for (const pipeline::OutpaintOption& option : pipeline::outpaint_options()) {
    const CLI::Option* flag = option.is_fill_option ? command_->get_option(std::string(option.cli_flag)) : nullptr;
    if (!status.is_ok() || !flag || flag->count() == 0) continue;
    if (!request.outpaint_to_fit) status = invalid_argument(std::string(option.cli_flag) + " needs --fit outpaint");
    else status = set_outpaint_option(outpaint_request, option, fill_texts_[std::string(option.json_name)]);
  }
  request.outpaint_fill = outpaint_request.fill;
  if (status.is_ok() && request.outpaint_fill.color && request.outpaint_fill.engine != outpaint::FillEngine::kColor)
    status = invalid_argument("--color: only --fill color uses a colour");
  if (status.is_ok() && request.outpaint_to_fit) status = pipeline::make_border_fill(request.outpaint_fill).status();
  if (status.is_ok() && request.resize_mode == pipeline::ResizeMode::kScaleBy && crop_)
    status = invalid_argument("--crop needs --to WIDTHxHEIGHT");
  const Result<image::EncodeOptions> encode = encode_options_from_flags(format_, quality_, lossless_);
  if (status.is_ok()) status = encode.status();
  if (status.is_ok()) status = request.validate();
  pipeline::ModelUpscalerOptions model_options;
  model_options.models_dir = models_dir_;
  auto inference = inference_options(tile_px_, overlap_px_, max_memory_, precision_, backend_);
  if (inference.is_ok()) model_options.inference = inference.value();
  else if (status.is_ok()) status = inference.status();
  // A download's progress line is redrawn in place; what comes next (an error) starts a new line.
  auto download_line_open = std::make_shared<bool>(false);
  model_options.download_progress = [download_line_open](uint64_t done_bytes, uint64_t total_bytes) {
    std::fprintf(stderr, "\rdownloading model: %.1f / %.1f MB", done_bytes / 1e6, total_bytes / 1e6);
    *download_line_open = total_bytes == 0 || done_bytes < total_bytes;
    if (!*download_line_open) std::fputc('\n', stderr);
    return true;
  };
  auto registry = pipeline::make_upscaler_registry(model_options);
  pipeline::FaceModelOptions face_options;
  face_options.models_dir = models_dir_;
  face_options.detector = face_detector_;
  face_options.gfpgan = gfpgan_model_;
  face_options.codeformer = codeformer_model_;
  face_options.only_center_face = only_center_face_;
  if (!backend_.empty()) face_options.backend = backend_;
  if (inference.is_ok()) face_options.precision = inference->precision;  // --precision covers the restorers too
  face_options.download_progress = model_options.download_progress;
  pipeline::FaceModels faces(face_options);
  if (status.is_ok()) status = pipeline::check_capabilities(request, &faces);
  // As for the upscalers: load (and download) the face models once, before the first item.
  if (status.is_ok() && (request.gfpgan_visibility > 0 || request.codeformer_visibility > 0))
    status = faces.detector().status();
  if (status.is_ok() && request.gfpgan_visibility > 0)
    status = faces.restorer(pipeline::FaceRestorerKind::kGfpgan).status();
  if (status.is_ok() && request.codeformer_visibility > 0)
    status = faces.restorer(pipeline::FaceRestorerKind::kCodeFormer).status();
  // Loading here (not per item) turns a broken or missing model into one usage error up front.
  for (const std::string& name : {request.upscaler_1, request.upscaler_2}) {
    if (status.is_ok()) status = pipeline::register_model_path(*registry, name, model_options);
    if (status.is_ok()) status = registry->find(name).status();
  }
  if (!status.is_ok()) {
    if (*download_line_open) std::fputc('\n', stderr);
    return report_error(status, 2);
  }
  for (const std::string& name : {request.upscaler_1, request.upscaler_2}) {
    auto upscaler = registry->find(name);
    if (!upscaler.is_ok() || *upscaler == nullptr) continue;  // nullptr: "None"
    if (const std::string notice = (*upscaler)->memory_notice(); !notice.empty())
      std::fprintf(stderr, "upres: note: %s\n", notice.c_str());
  }
  auto output = pipeline::OutputFolder::open(output_dir_, *encode);
  if (!output.is_ok()) return report_error(output.status(), 1);

  pipeline::BatchOptions options;
  options.skip_existing = skip_existing_;
  options.faces = &faces;
  if (max_pixels_ > 0) options.limits.max_pixels = max_pixels_;
  auto sharded = sharded_inputs(pipeline::expand_inputs(inputs_, recursive_));
  auto info = sharded.is_ok() ? recorded_run_info(request, *encode, *registry, shard_text_, !manifest_.empty())
                              : Result<pipeline::RecordedRunInfo>(sharded.status());
  if (info.is_ok()) info->exactly_once = !shard_.empty() || !manifest_.empty() || skip_existing_;
  if (info.is_ok() && !manifest_.empty()) status = read_earlier_records(manifest_, info->earlier);
  std::optional<pipeline::ManifestWriter> manifest;
  if (info.is_ok() && status.is_ok() && !manifest_.empty()) {
    auto opened = pipeline::ManifestWriter::open(manifest_);
    if (opened.is_ok()) manifest.emplace(std::move(opened).value());
    else status = opened.status();
  }
  if (!info.is_ok() || !status.is_ok()) return report_error(info.is_ok() ? status : info.status(), 2);
  const pipeline::InputList& inputs = sharded.value();
  pipeline::BatchRecorder recorder(inputs, std::move(info).value(), output.value(), manifest ? &*manifest : nullptr);
  options.is_done = recorder.is_done();
  const pipeline::ItemWork work =
      recorder.wrap([&](const image::Image& picture, pipeline::Progress& progress) -> Result<image::Image> {
        UPRES_ASSIGN_OR_RETURN(pipeline::ExtrasResult result,
                               pipeline::run_extras(picture, request, *registry, progress, &faces));
        return std::move(result.image);
      });
  int exit_status = run_reported_batch([&](pipeline::Progress& progress, const pipeline::BatchListener& listener) {
    return pipeline::run_batch(inputs, work, output.value(), options, progress, recorder.wrap(listener));
  });
  return recorder.manifest_status().is_ok() ? exit_status : 1;
}

Result<pipeline::InputList> UpscaleCommand::sharded_inputs(pipeline::InputList inputs) {
  if (shard_.empty()) {
    if (shards_ != 0) return invalid_argument("--shards needs --shard auto");
    if (!manifest_.empty() || skip_existing_) pipeline::fail_stem_collisions(inputs);
    return inputs;
  }
  const auto environment = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  UPRES_ASSIGN_OR_RETURN(pipeline::ShardSpec spec, pipeline::parse_shard_spec(shard_, shards_, environment));
  shard_text_ = spec.to_string();
  // Collisions are found over the whole list, so every task agrees on which item keeps a name.
  pipeline::fail_stem_collisions(inputs);
  pipeline::InputList selected = pipeline::select_shard(inputs, spec);
  std::fprintf(stderr, "upres: shard %s: %zu of %zu items\n", shard_text_.c_str(), selected.items.size(),
               inputs.items.size());
  return selected;
}

}  // namespace upres::cli
