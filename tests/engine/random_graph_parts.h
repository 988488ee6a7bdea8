// Random weights and the 3x3 convolution the cpu backend tests build their networks from
// (uniform values; convolution weights scaled by fan-in so activations stay near unit size).
#pragma once

#include <cstdint>
#include <random>

#include "engine/graph.h"

namespace upres::engine {

// Uniform values in [-range, range].
Tensor random_tensor(const Shape& shape, std::mt19937& rng, float range);

// conv2d 3x3, padding 1, `in` -> `out` channels, with random weights and bias.
Value random_conv3x3(Graph& g, Value x, int64_t in, int64_t out, std::mt19937& rng);

// RRDBNet's trunk in miniature: conv_first, two RRDB blocks (0.2 * rdb3(rdb2(rdb1(x))) + x, each
// rdb a dense block of five convs with leaky relu and growing concats), conv_body + skip.
Graph rrdb_trunk(const Shape& input, int64_t nf, int64_t gc);

}  // namespace upres::engine
