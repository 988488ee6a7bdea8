// The small-picture rule for Winograd convolutions (PrepareOptions::winograd): whether one
// prepared graph runs over enough pixels to repay Winograd's one-off weight transform. Used by
// `upres upscale` (pipeline::NeuralUpscaler) and the ncnn-vulkan drop-in (cli/ncnn_compat).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace upres::engine {

// The cpu backend's Winograd convolutions transform their weights once per prepared graph
// (R-ESRGAN 4x+: +1.2-1.8 s CPU over the direct kernels' reorders), then save ~40% of every run's
// convolution work. Both scale with the weights, so the pixels run alone decide: fewer than
// ~96x96 input pixels over all the runs of one prepared graph finish sooner direct
// (bench/model_prepare_cost, 1 thread, 36-132 px: direct won at 36, 68 and 84 px, Winograd at
// 100 px and up).
inline constexpr int64_t kMinWinogradPixels = 96 * 96;

// Whether Winograd repays its weight transform over `pixels_run`: the input pixels (height x
// width, padding included) of one run times the runs made with one prepared graph (its tiles,
// TTA's variants).
constexpr bool winograd_repays_transform(int64_t pixels_run) { return pixels_run >= kMinWinogradPixels; }

}  // namespace upres::engine
