#include "random_graph_parts.h"

#include <cmath>
#include <vector>

namespace upres::engine {

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = dist(rng);
  return *Tensor::from_f32(values, shape);
}

Value random_conv3x3(Graph& g, Value x, int64_t in, int64_t out, std::mt19937& rng) {
  const float range = 1.0f / std::sqrt(static_cast<float>(in * 9));
  return g.conv2d(x, random_tensor({out, in, 3, 3}, rng, range), random_tensor({out}, rng, 0.1f), {.padding = 1});
}

}  // namespace upres::engine
