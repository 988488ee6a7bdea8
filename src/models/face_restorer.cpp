// load_face_restorer: opens a weight file and hands it to the face restorer architecture its keys
// belong to.
#include "models/face_restorer.h"

#include "models/codeformer.h"
#include "models/gfpgan.h"
#include "nn/state_dict.h"
#include "weights/weight_file.h"

namespace upres::models {

bool face_restorer_is_faithful_in_bf16(std::string_view architecture) {
  // Measured with random weights of the released shapes on 12 faces of 5 real photos (the real
  // weights are not available offline; bench/README.md, "Face restorers in bf16"). CodeFormer:
  // 17-23 dB (bf16 flips its codebook choices), never. GFPGAN: 49.5 dB or more, but bf16 was only
  // 6% faster on the idle machine and slower under load, and random weights may be less sensitive
  // to bf16 than trained ones: fp32 until the released file is measured faster and faithful.
  (void)architecture;
  return false;
}

Result<std::unique_ptr<FaceRestorer>> load_face_restorer(const std::filesystem::path& path) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  const nn::StateDict state(file.weights);
  if (looks_like_gfpgan(state)) return load_gfpgan(std::move(file), path.string());
  if (looks_like_codeformer(state)) return load_codeformer(std::move(file), path.string());
  return unsupported(path.string() + ": not a GFPGAN or CodeFormer model (keys: " + state.key_sample(5) + ")");
}

}  // namespace upres::models
