#include "pipeline/face_models.h"

#include "engine/backend_registry.h"
#include "store/model_store.h"

namespace upres::pipeline {
namespace fs = std::filesystem;

const char* face_restorer_label(FaceRestorerKind kind) {
  return kind == FaceRestorerKind::kGfpgan ? "GFPGAN" : "CodeFormer";
}

FaceModels::FaceModels(FaceModelOptions options) : options_(std::move(options)) {}
FaceModels::~FaceModels() = default;

namespace {

const char* option_for(FaceRestorerKind kind) {
  return kind == FaceRestorerKind::kGfpgan ? "--gfpgan-model" : "--codeformer-model";
}

Result<store::ModelListing> find_listing(const store::ModelStore& store, const std::string& name,
                                         store::ModelKind kind, const char* option) {
  auto listing = store.find(name);
  if (!listing.is_ok()) return not_found(std::string(option) + ": " + listing.status().message());
  if (listing.value().kind != kind && !listing.value().user_file)
    return invalid_argument(std::string(option) + ": \"" + name + "\" is a " +
                            std::string(store::model_kind_name(listing.value().kind)) + ", not a " +
                            std::string(store::model_kind_name(kind)));
  return listing;
}

}  // namespace

Status FaceModels::check(FaceRestorerKind kind) const {
  std::error_code ec;
  const store::ModelStore store(store::ModelStoreOptions::from_environment(options_.models_dir));
  const std::string& restorer = kind == FaceRestorerKind::kGfpgan ? options_.gfpgan : options_.codeformer;
  if (!fs::is_regular_file(restorer, ec))
    UPRES_RETURN_IF_ERROR(find_listing(store, restorer, store::ModelKind::kFaceRestorer, option_for(kind)).status());
  if (!fs::is_regular_file(options_.detector, ec))
    UPRES_RETURN_IF_ERROR(find_listing(store, options_.detector, store::ModelKind::kFaceDetector, "--face-detector").status());
  return Status::ok();
}

Result<fs::path> FaceModels::resolve(const std::string& name, store::ModelKind kind, const char* option) const {
  std::error_code ec;
  if (fs::is_regular_file(name, ec)) return fs::path(name);
  const store::ModelStore store(store::ModelStoreOptions::from_environment(options_.models_dir));
  UPRES_RETURN_IF_ERROR(find_listing(store, name, kind, option).status());
  auto resolved = store.resolve(name, store::Downloader(), options_.download_progress);
  if (!resolved.is_ok()) return Status(resolved.status().code(), std::string(option) + ": " + resolved.status().message());
  if (resolved.value().files.empty()) return not_found(std::string(option) + ": " + name + " has no model file");
  return resolved.value().files[0];
}

Result<FaceDetector*> FaceModels::detector() {
  if (!detector_) {
    UPRES_ASSIGN_OR_RETURN(fs::path path, resolve(options_.detector, store::ModelKind::kFaceDetector, "--face-detector"));
    UPRES_ASSIGN_OR_RETURN(detector_, FaceDetector::load(path));
  }
  return detector_.get();
}

Result<models::FaceRestorer*> FaceModels::restorer(FaceRestorerKind kind) {
  std::unique_ptr<models::FaceRestorer>& slot = kind == FaceRestorerKind::kGfpgan ? gfpgan_ : codeformer_;
  if (!slot) {
    const std::string& name = kind == FaceRestorerKind::kGfpgan ? options_.gfpgan : options_.codeformer;
    UPRES_ASSIGN_OR_RETURN(fs::path path, resolve(name, store::ModelKind::kFaceRestorer, option_for(kind)));
    UPRES_ASSIGN_OR_RETURN(std::unique_ptr<models::FaceRestorer> loaded, models::load_face_restorer(path));
    if (loaded->architecture() != face_restorer_label(kind))
      return invalid_argument(std::string(option_for(kind)) + ": " + path.string() + " holds " +
                              loaded->architecture() + ", not " + face_restorer_label(kind));
    slot = std::move(loaded);
  }
  return slot.get();
}

Result<DType> FaceModels::restore_dtype(FaceRestorerKind kind) {
  UPRES_ASSIGN_OR_RETURN(models::FaceRestorer* chosen, restorer(kind));
  if (options_.precision == Precision::kAuto && !fastest_dtype_) {
    // A backend that cannot be created runs nothing: fp32 here, and the restore names the problem.
    auto backend = engine::create_backend(options_.backend);
    fastest_dtype_ = backend.is_ok() ? (*backend)->fastest_compute_dtype() : DType::kF32;
  }
  return face_restore_dtype(options_.precision, fastest_dtype_.value_or(DType::kF32), *chosen);
}

DType face_restore_dtype(Precision precision, DType backend_fastest, const models::FaceRestorer& restorer) {
  if (precision == Precision::kF32) return DType::kF32;
  if (precision == Precision::kBF16) return DType::kBF16;
  return backend_fastest == DType::kBF16 && restorer.is_faithful_in_bf16() ? DType::kBF16 : DType::kF32;
}

Result<models::ParseNet*> FaceModels::parser() {
  // Absence is remembered; a broken file is not, so every run reports it rather than only the first.
  if (parser_ || parser_absent_) return parser_.get();
  parser_absent_ = true;
  if (options_.parser.empty()) return parser_.get();
  std::error_code ec;
  fs::path path = options_.parser;
  if (!fs::is_regular_file(path, ec)) {
    const store::ModelStore store(store::ModelStoreOptions::from_environment(options_.models_dir));
    auto listing = store.find(options_.parser);
    if (!listing.is_ok() || !listing->installed || listing->files.empty()) return parser_.get();
    path = listing->files[0];
  }
  parser_absent_ = false;
  UPRES_ASSIGN_OR_RETURN(parser_, models::ParseNet::load(path));
  return parser_.get();
}

}  // namespace upres::pipeline
