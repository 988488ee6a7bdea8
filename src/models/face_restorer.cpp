// load_face_restorer: opens a weight file and hands it to the face restorer architecture its keys
// belong to.
#include "models/face_restorer.h"

#include "models/codeformer.h"
#include "models/gfpgan.h"
#include "nn/state_dict.h"
#include "weights/weight_file.h"

namespace upres::models {

Result<std::unique_ptr<FaceRestorer>> load_face_restorer(const std::filesystem::path& path) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  const nn::StateDict state(file.weights);
  if (looks_like_gfpgan(state)) return load_gfpgan(std::move(file), path.string());
  if (looks_like_codeformer(state)) return load_codeformer(std::move(file), path.string());
  return unsupported(path.string() + ": not a GFPGAN or CodeFormer model (keys: " + state.key_sample(5) + ")");
}

}  // namespace upres::models
