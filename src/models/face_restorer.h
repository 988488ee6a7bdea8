// FaceRestorer: a network that repairs one aligned face crop (GFPGAN, CodeFormer), its
// configuration read from its weight file. The face pipeline detects, aligns and pastes back;
// the restorer only maps a face_size() x face_size() crop to a repaired one. Not thread-safe:
// restore() may cache compiled graphs; use one instance per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/tensor.h"

namespace upres::models {

struct FaceRestoreOptions {
  // CodeFormer's fidelity weight w: 0 = strongest restoration, 1 = closest to the input face.
  // GFPGAN ignores it.
  float fidelity_weight = 0.5f;
  std::string backend = "cpu";               // engine backend name ("cpu", "reference")
  DType compute_dtype = DType::kF32;
};

// True for an architecture ("GFPGAN", "CodeFormer") whose restored faces were measured to keep
// >= 45 dB PSNR against fp32 when run in bf16 (bench/face_restorer_precision on real face photos);
// false where not measured or not faithful, so precision auto keeps fp32 there.
bool face_restorer_is_faithful_in_bf16(std::string_view architecture);

class FaceRestorer {
 public:
  virtual ~FaceRestorer() = default;

  // "GFPGAN", "CodeFormer".
  virtual std::string architecture() const = 0;
  // Side of the square aligned crop the network takes and returns (512 for both).
  virtual int face_size() const { return 512; }

  // face: [1, 3, S, S] fp32 RGB in [0, 1] (S = face_size()), NCHW. Returns the restored face in
  // the same shape and range (clamped to [0, 1]). Deterministic: fixed noise, no sampling.
  virtual Result<engine::Tensor> restore(const engine::Tensor& face,
                                         const FaceRestoreOptions& options) = 0;

  // Whether `--precision auto` may run this restorer in bf16 (where bf16 outruns fp32): see
  // face_restorer_is_faithful_in_bf16.
  virtual bool is_faithful_in_bf16() const { return face_restorer_is_faithful_in_bf16(architecture()); }
};

// Opens a .pth/.safetensors file and detects GFPGAN (clean architecture) or CodeFormer from its
// keys. Unsupported names what the file looks like when it is neither.
Result<std::unique_ptr<FaceRestorer>> load_face_restorer(const std::filesystem::path& path);

}  // namespace upres::models
