#include "nn/linear.h"

#include <string>

namespace upres::nn {

Result<Linear> Linear::bind(const StateDict& weights, std::string_view key, int64_t in, int64_t out,
                            bool has_bias) {
  Linear linear;
  const std::string prefix(key);
  UPRES_ASSIGN_OR_RETURN(linear.weight, weights.tensor(prefix + ".weight", {out, in}));
  if (has_bias) {
    UPRES_ASSIGN_OR_RETURN(linear.bias, weights.tensor(prefix + ".bias", {out}));
  }
  return linear;
}

}  // namespace upres::nn
