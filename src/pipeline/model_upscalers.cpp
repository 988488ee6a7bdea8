#include "pipeline/model_upscalers.h"

#include <algorithm>

#include "models/upscale_model.h"

namespace upres::pipeline {
namespace fs = std::filesystem;
namespace {

UpscalerRegistry::Factory neural_factory(std::string name, fs::path path, InferenceOptions inference) {
  return [name = std::move(name), path = std::move(path),
          inference = std::move(inference)]() -> Result<std::shared_ptr<Upscaler>> {
    UPRES_ASSIGN_OR_RETURN(std::shared_ptr<const models::UpscaleModel> model,
                           models::load_upscale_model(path));
    return std::shared_ptr<Upscaler>(std::make_shared<NeuralUpscaler>(name, model, inference));
  };
}

// The reference UI saves a downloaded model as "<name with spaces as underscores>.pth" and then also
// lists it under that file stem ("SwinIR 4x" -> SwinIR_4x.pth -> "SwinIR_4x"), the name its users'
// recipes and infotexts carry. The stem when a listing's file follows that rule and differs from
// its name; empty otherwise.
std::string reference_file_alias(const store::ModelListing& listing) {
  if (!listing.installed || listing.files.size() != 1) return "";
  std::string alias = listing.name;
  std::replace(alias.begin(), alias.end(), ' ', '_');
  if (alias == listing.name || listing.files[0].stem().string() != alias) return "";
  return alias;
}

}  // namespace

std::shared_ptr<UpscalerRegistry> make_upscaler_registry(const ModelUpscalerOptions& options) {
  auto registry = UpscalerRegistry::with_classical_upscalers();
  auto store = std::make_shared<store::ModelStore>(store::ModelStoreOptions::from_environment(options.models_dir));
  for (const store::ModelListing& listing : store->list()) {
    if (listing.kind != store::ModelKind::kUpscaler) continue;
    if (!listing.installed && listing.url.empty()) continue;  // npm-only and not set up: not offered
    UpscalerEntry entry{listing.name, listing.files.empty() ? "" : listing.files[0].string(),
                        listing.native_scale, listing.installed};
    std::string name = listing.name;
    InferenceOptions inference = options.inference;
    store::DownloadProgress progress = options.download_progress;
    registry->add(entry, [store, name, inference, progress]() -> Result<std::shared_ptr<Upscaler>> {
      // Downloads on first use; a no-op when the files are there.
      UPRES_ASSIGN_OR_RETURN(store::ModelListing resolved, store->resolve(name, store::Downloader(), progress));
      if (resolved.files.empty()) return not_found(name + ": no model file");
      return neural_factory(name, resolved.files[0], inference)();
    });
    // The alias runs the same file under its own name, so infotexts record the name given.
    if (std::string alias = reference_file_alias(listing); !alias.empty()) {
      entry.name = alias;
      registry->add(entry, neural_factory(alias, listing.files[0], options.inference));
    }
  }
  return registry;
}

Status register_model_path(UpscalerRegistry& registry, const std::string& name,
                           const ModelUpscalerOptions& options) {
  if (name.empty() || name == "None") return Status::ok();
  for (const UpscalerEntry& entry : registry.entries())
    if (entry.name == name) return Status::ok();
  std::error_code ec;
  if (!fs::is_regular_file(name, ec)) return Status::ok();  // find() reports the unknown name
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  const char* known[] = {".pth", ".pt", ".ckpt", ".safetensors", ".param", ".onnx"};
  if (std::find(std::begin(known), std::end(known), ext) == std::end(known))
    return invalid_argument(name + ": not a model file (expected .pth, .pt, .ckpt, .safetensors, .param or .onnx)");
  registry.add({name, name, 0, true}, neural_factory(name, name, options.inference));
  return Status::ok();
}

}  // namespace upres::pipeline
