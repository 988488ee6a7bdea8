// CodeFormerRestorer: the FaceRestorer for CodeFormer, as the reference UI calls the network
// (net(x, w=fidelity_weight, adain=True)). Runs graph A (encoder + transformer), chooses the codes
// and applies AdaIN on the host, then graph B (generator, fused with the encoder features when
// w > 0, w being a graph input). Compiled executables are kept between calls for one backend and
// dtype: A, and B in the form (fused or not) last used. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/backend.h"
#include "models/codeformer.h"
#include "models/face_restorer.h"

namespace upres::models {

class CodeFormerRestorer final : public FaceRestorer {
 public:
  // `source` (path or model name) prefixes error messages.
  CodeFormerRestorer(std::shared_ptr<const CodeFormer> net, std::string source);

  std::string architecture() const override { return "CodeFormer"; }
  int face_size() const override { return static_cast<int>(net_->config().image_size); }

  // face: [1, 3, S, S] RGB in [0, 1]. options.fidelity_weight must lie in [0, 1].
  Result<engine::Tensor> restore(const engine::Tensor& face,
                                 const FaceRestoreOptions& options) override;

  // The codebook indices chosen by the last successful restore(), latent positions in row-major
  // order (for tests and diagnostics).
  const std::vector<int32_t>& last_codes() const { return last_codes_; }
  const CodeFormer& network() const { return *net_; }

 private:
  // Creates the backend and compiles graph A, and graph B in the form `fuse`, unless cached.
  Status prepare(const FaceRestoreOptions& options, bool fuse);
  // face in [0, 1] -> graph A outputs (logits, lq_feat, encoder features).
  Result<std::vector<engine::Tensor>> run_encoder(const engine::Tensor& face);
  // Graph A outputs -> the generator's output in about [-1, 1].
  Result<engine::Tensor> run_generator(std::vector<engine::Tensor>& encoded, float w, bool fuse);

  std::shared_ptr<const CodeFormer> net_;
  std::string source_;
  std::string backend_name_;
  DType compute_dtype_ = DType::kF32;
  std::unique_ptr<engine::Backend> backend_;
  std::unique_ptr<engine::Executable> encoder_;
  std::unique_ptr<engine::Executable> generator_;
  bool generator_fuses_ = false;
  std::vector<int32_t> last_codes_;
};

}  // namespace upres::models
