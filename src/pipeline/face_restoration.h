// restore_faces: one face restorer applied to every face of a picture, as facexlib's
// FaceRestoreHelper does it for the reference UI: detect (RetinaFace), drop faces whose eyes are
// closer than 5 px, align each to the 512 template, restore, paste back with a soft mask.
// Not thread-safe (the detector and restorer cache compiled graphs).
#pragma once

#include "base/result.h"
#include "image/image.h"
#include "models/face_restorer.h"
#include "models/parsenet.h"
#include "pipeline/face_detector.h"
#include "pipeline/progress.h"

namespace upres::pipeline {

struct FaceRestorationOptions {
  FaceDetectOptions detect;
  bool only_center_face = false;   // keep only the face whose box centre is nearest the picture's
  float min_eye_distance = 5.0f;   // facexlib's eye_dist_threshold as the reference UI passes it
  models::FaceRestoreOptions restore;
  std::string stage = "face";      // progress stage name, e.g. "GFPGAN face"
};

struct RestoredFaces {
  image::Image picture;  // the input with every face restored (alpha and metadata kept)
  int face_count = 0;    // faces restored
};

// `parser` (may be null) gives each restored face a parsing mask for the paste; without it the
// square mask is used. Cancelled when `progress` is cancelled between faces.
Result<RestoredFaces> restore_faces(const image::Image& picture, FaceDetector& detector,
                                    models::FaceRestorer& restorer,
                                    const FaceRestorationOptions& options, Progress& progress,
                                    models::ParseNet* parser = nullptr);

}  // namespace upres::pipeline
