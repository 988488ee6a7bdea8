// NcnnHostConvention: what the ncnn-vulkan host programs do around a graph (pre-padding, border
// mode, alignment, output crop, Real-CUGAN 4x's nearest-input residual), derived from the graph's
// own size arithmetic plus the model family. Plain value; thread-safe.
// Sources: realcugan-ncnn-vulkan and waifu2x-ncnn-vulkan src/main.cpp (model-formats.md 1.5).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>

#include "base/result.h"
#include "engine/op.h"
#include "weights/ncnn_graph.h"

namespace upres::models {

struct NcnnHostConvention {
  enum class Family { kPlain, kRealCugan, kWaifu2x };
  Family family = Family::kPlain;
  int scale = 1;
  // Pixels added on every side before the graph (the graph's valid convolutions eat them).
  int prepadding_px = 0;
  // The unpadded input is first padded right/bottom to a multiple of this.
  int multiple = 1;
  engine::PadMode border = engine::PadMode::kReflect;
  // Real-CUGAN 4x: the host adds nearest-upsampled input to the graph output.
  bool add_nearest_input = false;

  std::string family_name() const;
};

// Raw graph output (height, width) for an input of (height, width), by shape inference.
using NcnnOutputSizeFn = std::function<Result<std::pair<int64_t, int64_t>>(int64_t, int64_t)>;

// Scale from the graph: the output grows `scale` pixels per input pixel. A graph that shrinks
// its input by a border of 2 * scale * p (valid convolutions) gets prepadding p, and the family
// decides the rest: Real-CUGAN (a blob named gap0, or a file named up2x/up3x/up4x...) pads
// reflect-101 and, at 4x, adds the nearest input; others (waifu2x cunet, upconv_7) replicate.
// Both programs align to 2 for even scales and 4 otherwise. Unsupported when the output is not
// an integer multiple of the input less such a border.
Result<NcnnHostConvention> detect_ncnn_host_convention(const weights::NcnnGraph& graph,
                                                       const std::filesystem::path& param_path,
                                                       const NcnnOutputSizeFn& output_size);

}  // namespace upres::models
