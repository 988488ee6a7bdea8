// FaceModels: the face detector and the two face restorers an Extras run may need, each named by
// a display name ("GFPGAN", "RetinaFace ResNet50") or a model file's path, resolved through the
// model store (downloaded on first use, sha256-checked) and loaded once, when first asked for.
// Not thread-safe: one run at a time (the CLI runs items in turn, the server queues jobs).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "models/face_restorer.h"
#include "models/parsenet.h"
#include "pipeline/face_detector.h"
#include "pipeline/neural_upscaler.h"
#include "store/downloader.h"
#include "store/model_listing.h"

namespace upres::pipeline {

enum class FaceRestorerKind { kGfpgan, kCodeFormer };

struct FaceModelOptions {
  std::filesystem::path models_dir = "models";
  std::string detector = "RetinaFace ResNet50";  // as the reference UI (facexlib's default)
  std::string gfpgan = "GFPGAN";                   // GFPGAN v1.4
  std::string codeformer = "CodeFormer";
  std::string parser = "ParseNet";  // used only when installed (never downloaded); "" = off
  std::string backend = "cpu";
  // The restorers' compute type, as --precision for the upscalers (kAuto: bf16 where the backend
  // says bf16 outruns fp32 and the restorer is faithful in it). Detection and parsing stay fp32.
  Precision precision = Precision::kAuto;
  bool only_center_face = false;
  store::DownloadProgress download_progress;       // called while a model downloads
};

class FaceModels {
 public:
  explicit FaceModels(FaceModelOptions options);
  ~FaceModels();

  // Checks, without downloading or loading, that the model a run with this restorer needs is a
  // known name or an existing file, so a typo fails before a batch starts. NotFound names the
  // option (--gfpgan-model, --codeformer-model, --face-detector).
  Status check(FaceRestorerKind kind) const;

  // Loaded on first call; the same object afterwards.
  Result<FaceDetector*> detector();
  Result<models::FaceRestorer*> restorer(FaceRestorerKind kind);
  // The compute type that restorer runs in under options().precision (loads it when needed).
  Result<DType> restore_dtype(FaceRestorerKind kind);
  // The face-parsing network when its file is installed (or `parser` names an existing file);
  // nullptr when it is not, in which case faces are pasted with the square mask.
  Result<models::ParseNet*> parser();

  const FaceModelOptions& options() const { return options_; }

 private:
  // The file behind a display name or path, downloading it when it is not installed.
  Result<std::filesystem::path> resolve(const std::string& name, store::ModelKind kind,
                                        const char* option) const;

  FaceModelOptions options_;
  std::unique_ptr<FaceDetector> detector_;
  std::unique_ptr<models::FaceRestorer> gfpgan_;
  std::unique_ptr<models::FaceRestorer> codeformer_;
  std::unique_ptr<models::ParseNet> parser_;
  bool parser_absent_ = false;  // not configured or not installed: the square mask is used
  std::optional<DType> fastest_dtype_;  // the backend's answer, asked once
};

// The restorer's compute type: kF32 / kBF16 as asked; kAuto bf16 only where `backend_fastest`
// (Backend::fastest_compute_dtype) is bf16 and the restorer is faithful in bf16.
DType face_restore_dtype(Precision precision, DType backend_fastest, const models::FaceRestorer& restorer);

// "GFPGAN" / "CodeFormer": the restorer's name in infotext, progress and messages.
const char* face_restorer_label(FaceRestorerKind kind);

}  // namespace upres::pipeline
