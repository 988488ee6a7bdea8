// The memory side of choosing Winograd for a 3x3 convolution, shared by upres's kernel
// (winograd_step.h) and oneDNN's (ConvSpec::may_run_winograd): F(4x4, 3x3) keeps its weights
// transformed at 36 positions against the direct kernel's 9, four times the bytes, held for the
// executable's life, while the time it saves grows with the output map. Free function; thread-safe.
#pragma once

#include <cstdint>

namespace upres::engine::cpu {

// Whether Winograd's transformed weights are worth holding for a conv of these channels on an
// output map of this size: any map of 8 px and up for convs up to 256 x 256 channels (R-ESRGAN's
// 64-channel convs on a 28 px sprite run 2x faster than direct for 0.6 MB each), but a 32 px map at
// least for wider ones (GFPGAN's 512-channel convs on 8 and 16 px maps took 240 MB, 15% of a
// restorer's peak, and gave no measurable time back per face: bench/README "Winograd weights").
bool winograd_weights_pay(int64_t in_channels, int64_t out_channels, int64_t out_height, int64_t out_width);

}  // namespace upres::engine::cpu
