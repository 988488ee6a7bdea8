// CodeFormerCodebook: argmax over logits, codebook lookup and AdaIN, on the host.
#include "models/codeformer_codebook.h"

#include <cmath>
#include <string>

namespace upres::models {
namespace {

struct ChannelStats {
  double mean = 0;
  double std = 1;
};

// Mean and sqrt(unbiased variance + eps) of `count` values (two passes, in double).
ChannelStats channel_stats(const float* values, int64_t count) {
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) sum += values[i];
  ChannelStats stats;
  stats.mean = sum / static_cast<double>(count);
  double squares = 0;
  for (int64_t i = 0; i < count; ++i) {
    const double d = values[i] - stats.mean;
    squares += d * d;
  }
  const double variance = count > 1 ? squares / static_cast<double>(count - 1) : NAN;
  stats.std = std::sqrt(variance + CodeFormerCodebook::kStdEps);
  return stats;
}

}  // namespace

Result<CodeFormerCodebook> CodeFormerCodebook::bind(const nn::StateDict& weights) {
  const std::string key = "quantize.embedding.weight";
  const std::vector<int64_t>* shape = weights.shape(key);
  if (shape == nullptr) return not_found("weight '" + key + "' is missing");
  if (shape->size() != 2 || (*shape)[0] < 1 || (*shape)[1] < 1) {
    return corrupt("weight '" + key + "' has shape " + engine::shape_to_string(*shape) +
                   ", expected [codebook_size, emb_dim]");
  }
  CodeFormerCodebook codebook;
  UPRES_ASSIGN_OR_RETURN(codebook.embedding_, weights.tensor(key, *shape));
  return codebook;
}

Result<std::vector<int32_t>> CodeFormerCodebook::top_codes(const engine::Tensor& logits) const {
  if (logits.rank() != 2 || logits.dim(1) != size() || logits.dtype() != DType::kF32) {
    return invalid_argument("CodeFormer logits " + engine::shape_to_string(logits.shape()) +
                            " are not fp32 [L, " + std::to_string(size()) + "]");
  }
  const int64_t rows = logits.dim(0);
  const int64_t cols = logits.dim(1);
  std::vector<int32_t> codes(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits.f32() + r * cols;
    int64_t best = 0;
    for (int64_t c = 0; c < cols; ++c) {
      if (!std::isfinite(row[c])) {
        return corrupt("CodeFormer: logit " + std::to_string(c) + " of position " +
                       std::to_string(r) + " is not finite");
      }
      if (row[c] > row[best]) best = c;
    }
    codes[static_cast<size_t>(r)] = static_cast<int32_t>(best);
  }
  return codes;
}

Result<engine::Tensor> CodeFormerCodebook::lookup(const std::vector<int32_t>& codes,
                                                  int64_t side) const {
  if (side < 1 || static_cast<int64_t>(codes.size()) != side * side) {
    return invalid_argument("CodeFormer: " + std::to_string(codes.size()) + " codes for a " +
                            std::to_string(side) + "x" + std::to_string(side) + " latent");
  }
  const int64_t emb_dim = dim();
  const int64_t tokens = side * side;
  UPRES_ASSIGN_OR_RETURN(engine::Tensor out, engine::Tensor::zeros({1, emb_dim, side, side}));
  float* dst = out.f32();
  for (int64_t t = 0; t < tokens; ++t) {
    const int32_t code = codes[static_cast<size_t>(t)];
    if (code < 0 || code >= size()) {
      return invalid_argument("CodeFormer: code " + std::to_string(code) +
                              " outside the codebook of " + std::to_string(size()));
    }
    const float* row = embedding_.f32() + static_cast<int64_t>(code) * emb_dim;
    for (int64_t c = 0; c < emb_dim; ++c) dst[c * tokens + t] = row[c];
  }
  return out;
}

Result<engine::Tensor> adaptive_instance_normalization(const engine::Tensor& content,
                                                       const engine::Tensor& style) {
  if (content.rank() != 4 || content.shape() != style.shape() || content.dim(0) != 1 ||
      content.dtype() != DType::kF32 || style.dtype() != DType::kF32) {
    return invalid_argument("AdaIN: content " + engine::shape_to_string(content.shape()) +
                            " and style " + engine::shape_to_string(style.shape()) +
                            " must be fp32 [1, C, H, W] alike");
  }
  const int64_t channels = content.dim(1);
  const int64_t count = content.dim(2) * content.dim(3);
  engine::Tensor out = content.clone();
  for (int64_t c = 0; c < channels; ++c) {
    const float* x = content.f32() + c * count;
    const ChannelStats from = channel_stats(x, count);
    const ChannelStats to = channel_stats(style.f32() + c * count, count);
    float* y = out.f32() + c * count;
    for (int64_t i = 0; i < count; ++i) {
      y[i] = static_cast<float>((x[i] - from.mean) / from.std * to.std + to.mean);
    }
  }
  return out;
}

}  // namespace upres::models
