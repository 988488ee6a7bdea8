#include "nn/layer_norm.h"

#include <string>

namespace upres::nn {

Result<LayerNorm> LayerNorm::bind(const StateDict& weights, std::string_view key, int64_t dim) {
  LayerNorm norm;
  const std::string prefix(key);
  UPRES_ASSIGN_OR_RETURN(norm.weight, weights.tensor(prefix + ".weight", {dim}));
  UPRES_ASSIGN_OR_RETURN(norm.bias, weights.tensor(prefix + ".bias", {dim}));
  return norm;
}

}  // namespace upres::nn
