// CodeFormerRestorer: input scaling, the two graphs with the host code choice between them, and
// the executables kept between calls.
// Reference call: stable-diffusion-webui modules/codeformer_model.py (normalize to [-1, 1],
// net(x, w=w, adain=True)[0], tensor2img with min_max (-1, 1)).
#include "models/codeformer_restorer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/backend_registry.h"

namespace upres::models {
namespace {

// Outputs of graph A before the encoder features.
constexpr size_t kLogitsOutput = 0;
constexpr size_t kLqFeatOutput = 1;
constexpr size_t kFirstFeatureOutput = 2;

}  // namespace

CodeFormerRestorer::CodeFormerRestorer(std::shared_ptr<const CodeFormer> net, std::string source)
    : net_(std::move(net)), source_(std::move(source)) {}

Status CodeFormerRestorer::prepare(const FaceRestoreOptions& options, bool fuse) {
  if (backend_ == nullptr || backend_name_ != options.backend ||
      compute_dtype_ != options.compute_dtype) {
    encoder_.reset();
    generator_.reset();
    backend_.reset();
    UPRES_ASSIGN_OR_RETURN(backend_, engine::create_backend(options.backend));
    backend_name_ = options.backend;
    compute_dtype_ = options.compute_dtype;
  }
  const engine::PrepareOptions prepare{.compute_dtype = compute_dtype_};
  if (encoder_ == nullptr) {
    UPRES_ASSIGN_OR_RETURN(engine::Graph graph, net_->build_encoder_graph());
    UPRES_ASSIGN_OR_RETURN(encoder_, backend_->prepare(graph, prepare));
  }
  if (generator_ == nullptr || generator_fuses_ != fuse) {
    generator_.reset();  // free the other form before compiling this one
    UPRES_ASSIGN_OR_RETURN(engine::Graph graph, net_->build_generator_graph(fuse));
    UPRES_ASSIGN_OR_RETURN(generator_, backend_->prepare(graph, prepare));
    generator_fuses_ = fuse;
  }
  return Status::ok();
}

Result<std::vector<engine::Tensor>> CodeFormerRestorer::run_encoder(const engine::Tensor& face) {
  std::vector<float> values = face.to_f32();
  for (float& v : values) v = v * 2.0f - 1.0f;  // (x - 0.5) / 0.5
  UPRES_ASSIGN_OR_RETURN(engine::Tensor input, engine::Tensor::from_f32(values, face.shape()));
  std::vector<engine::Tensor> outputs(encoder_->output_shapes().size());
  UPRES_RETURN_IF_ERROR(encoder_->run({&input, 1}, outputs));
  return outputs;
}

Result<engine::Tensor> CodeFormerRestorer::run_generator(std::vector<engine::Tensor>& encoded,
                                                         float w, bool fuse) {
  const CodeFormer& net = *net_;
  UPRES_ASSIGN_OR_RETURN(std::vector<int32_t> codes,
                         net.codebook().top_codes(encoded[kLogitsOutput]));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor quant,
                         net.codebook().lookup(codes, net.config().latent_side));
  UPRES_ASSIGN_OR_RETURN(quant, adaptive_instance_normalization(quant, encoded[kLqFeatOutput]));
  std::vector<engine::Tensor> inputs{quant};
  if (fuse) {
    inputs.insert(inputs.end(), encoded.begin() + kFirstFeatureOutput, encoded.end());
    UPRES_ASSIGN_OR_RETURN(engine::Tensor weight,
                           engine::Tensor::from_f32(std::vector<float>{w}, {1, 1, 1, 1}));
    inputs.push_back(weight);
  }
  std::vector<engine::Tensor> outputs(1);
  UPRES_RETURN_IF_ERROR(generator_->run(inputs, outputs));
  last_codes_ = std::move(codes);
  return outputs[0];
}

Result<engine::Tensor> CodeFormerRestorer::restore(const engine::Tensor& face,
                                                   const FaceRestoreOptions& options) {
  const int64_t s = face_size();
  if (face.shape() != engine::Shape{1, 3, s, s} || face.layout() != engine::Layout::kNchw) {
    return invalid_argument(source_ + ": CodeFormer takes a [1, 3, " + std::to_string(s) + ", " +
                            std::to_string(s) + "] NCHW face, got " +
                            engine::shape_to_string(face.shape()));
  }
  const float w = options.fidelity_weight;
  if (!(w >= 0.0f && w <= 1.0f)) {
    return invalid_argument(source_ + ": fidelity_weight " + std::to_string(w) +
                            " is outside [0, 1]");
  }
  const bool fuse = w > 0.0f;  // the original skips the fusion blocks entirely at w = 0
  Status status = prepare(options, fuse);
  if (!status.is_ok()) return status.with_context(source_);
  auto encoded = run_encoder(face);
  if (!encoded.is_ok()) return encoded.status().with_context(source_);
  auto decoded = run_generator(encoded.value(), w, fuse);
  if (!decoded.is_ok()) return decoded.status().with_context(source_);
  engine::Tensor out = std::move(decoded).value();
  float* y = out.f32();
  for (int64_t i = 0; i < out.numel(); ++i) y[i] = std::clamp((y[i] + 1.0f) * 0.5f, 0.0f, 1.0f);
  return out;
}

}  // namespace upres::models
