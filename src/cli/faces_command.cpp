// `upres faces FILE`: the face detector on one picture, faces printed as JSON.
#include "cli/faces_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "cli/cli_error.h"
#include "engine/backend_registry.h"
#include "image/image_codec.h"
#include "pipeline/face_detector.h"
#include "store/model_store.h"

namespace upres::cli {
namespace {

// The detector's weight file: a catalog name (downloaded on first use, UPRES_MODEL_MIRROR
// honoured) or a path.
Result<std::filesystem::path> detector_path(const std::string& name,
                                            const std::string& models_dir) {
  const store::ModelStore store(store::ModelStoreOptions::from_environment(models_dir));
  auto found = store.find(name);
  if (!found.is_ok()) return found.status().with_context("--face-detector");
  if (!found->user_file && found->kind != store::ModelKind::kFaceDetector) {
    return invalid_argument("--face-detector: '" + name + "' is a " +
                            std::string(store::model_kind_name(found->kind)) +
                            ", not a face detector");
  }
  bool reported = false;
  store::DownloadProgress progress = [&reported](uint64_t done_bytes, uint64_t total_bytes) {
    std::fprintf(stderr, "\rdownloading model: %.1f / %.1f MB", done_bytes / 1e6,
                 total_bytes / 1e6);
    reported = true;
    return true;
  };
  auto resolved = store.resolve(name, store::Downloader(), progress);
  if (reported) std::fputc('\n', stderr);
  UPRES_ASSIGN_OR_RETURN(store::ModelListing listing, std::move(resolved));
  if (listing.files.empty()) return not_found("--face-detector: '" + name + "' has no file");
  return listing.files.front();
}

nlohmann::json faces_json(const std::string& file, const image::Image& picture,
                          const std::vector<pipeline::DetectedFace>& faces) {
  nlohmann::json out{{"file", file},
                     {"width", picture.width()},
                     {"height", picture.height()},
                     {"faces", nlohmann::json::array()}};
  for (const pipeline::DetectedFace& face : faces) {
    nlohmann::json landmarks = nlohmann::json::array();
    for (const pipeline::FacePoint& p : face.landmarks) landmarks.push_back({p.x, p.y});
    out["faces"].push_back({{"box", {face.x0, face.y0, face.x1, face.y1}},
                            {"score", face.score},
                            {"landmarks", landmarks}});
  }
  return out;
}

std::string default_backend() {
  for (const std::string& name : engine::backend_names()) {
    if (name == "cpu") return name;
  }
  return "reference";
}

}  // namespace

FacesCommand::FacesCommand(CLI::App& app) {
  command_ = app.add_subcommand("faces", "Detect faces in a picture and print them as JSON");
  command_->add_option("file", file_, "image file")->required();
  command_->add_option("--face-detector", face_detector_, "detector: catalog name or .pth file")
      ->capture_default_str();
  command_->add_option("--models", models_dir_, "models folder")->capture_default_str();
  command_->add_option("--threshold", threshold_, "minimum face confidence, 0-1")
      ->capture_default_str();
  command_->add_option("--backend", backend_,
                       "inference backend: cpu or reference (default: the fastest built)");
}

int FacesCommand::run() {
  if (!(threshold_ >= 0.0f && threshold_ <= 1.0f)) {
    std::fprintf(stderr, "upres: --threshold: %g is out of range [0, 1]\n", threshold_);
    return 2;
  }
  auto picture = image::read_image(file_);
  if (!picture.is_ok()) {
    const Status& status = picture.status();
    const bool named = status.message().find(file_) != std::string::npos;
    return report_error(named ? status : status.with_context(file_), 1);
  }
  auto path = detector_path(face_detector_, models_dir_);
  if (!path.is_ok()) return report_error(path.status(), path.status().code() == StatusCode::kInvalidArgument ? 2 : 1);
  auto detector = pipeline::FaceDetector::load(*path);
  if (!detector.is_ok()) return report_error(detector.status(), 1);
  pipeline::FaceDetectOptions options;
  options.confidence_threshold = threshold_;
  options.backend = backend_.empty() ? default_backend() : backend_;
  auto faces = (*detector)->detect(*picture, options);
  if (!faces.is_ok()) return report_error(faces.status().with_context(file_), 1);
  std::printf("%s\n", faces_json(file_, *picture, *faces).dump().c_str());
  return 0;
}

}  // namespace upres::cli
