// Synthetic state dicts for model tests: the key names and shapes of an architecture, zero-filled,
// so detection, configuration and graph building can be tested without files. Functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "weights/weight_map.h"

namespace upres::models::testing {

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// A WeightMap of zero-filled fp32 tensors with these names and shapes (a gtest failure if one is
// rejected).
weights::WeightMap make_weights(const Shapes& shapes);

// "<key>.weight" [out, in, 3, 3] and "<key>.bias" [out].
void add_conv(Shapes& shapes, const std::string& key, int64_t in, int64_t out);

// basicsr-layout RRDBNet: nb blocks, `ups` conv_up stages, `in` input channels (12 or 48 to unshuffle).
Shapes basicsr_rrdbnet(int64_t nf, int64_t gc, int nb, int ups, int64_t in = 3);

// SRVGGNetCompact: body.0 ... body.<2*num_conv+2>, PReLU slopes at odd indices when `prelu`.
Shapes compact(int64_t nf, int num_conv, int scale, bool prelu);

// GFPGANv1Clean (facexlib/GFPGAN's key layout) at `out_size` with the released v1.3/v1.4 widths
// (channel_multiplier 2, narrow 1, sft_half, different_w, 8 style-MLP layers) and 512 style features.
Shapes gfpgan_v1_clean(int out_size);

}  // namespace upres::models::testing
