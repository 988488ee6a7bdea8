// The parts the cpu backend tests build their networks from: random weights, the 3x3 convolution
// (uniform values; weights scaled by fan-in so activations stay near unit size), resize attributes,
// and the small networks several tests share.
#pragma once

#include <cstdint>
#include <random>
#include <variant>

#include "engine/graph.h"

namespace upres::engine {

// Uniform values in [-range, range].
Tensor random_tensor(const Shape& shape, std::mt19937& rng, float range);

// conv2d 3x3, padding 1, `in` -> `out` channels, with random weights and bias.
Value random_conv3x3(Graph& g, Value x, int64_t in, int64_t out, std::mt19937& rng);

// Resize to a fixed size, or by one factor on both axes.
ResizeAttrs resize_to(ResizeMode mode, int64_t h, int64_t w, bool align_corners = false);
ResizeAttrs resize_by(ResizeMode mode, float scale);

// Resize or pad: the sampling ops that read a convolution's output as it is laid out.
using Resampling = std::variant<ResizeAttrs, PadAttrs>;

// x [1, 8, 15, 19] -> conv3x3 (8 -> `channels`) -> `resampling` -> conv3x3 (`channels` -> 16).
Graph conv_resample_conv(int64_t channels, const Resampling& resampling, std::mt19937& rng);

// RRDBNet's trunk in miniature: conv_first, two RRDB blocks (0.2 * rdb3(rdb2(rdb1(x))) + x, each
// rdb a dense block of five convs with leaky relu and growing concats), conv_body + skip.
Graph rrdb_trunk(const Shape& input, int64_t nf, int64_t gc);

}  // namespace upres::engine
