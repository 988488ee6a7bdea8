// See winograd_weight_memory.h.
#include "engine/cpu/winograd_weight_memory.h"

#include <algorithm>

namespace upres::engine::cpu {
namespace {

// Below 8 px a single tile block leaves the second thread idle: 4x4 maps ran as fast as direct.
constexpr int64_t kMinOutputSide = 8;
// 256 x 256 channels: 2.4 MB of direct weights, 9.4 MB transformed.
constexpr int64_t kWideChannelProduct = int64_t{256} * 256;
constexpr int64_t kMinWideOutputSide = 32;

}  // namespace

bool winograd_weights_pay(int64_t in_channels, int64_t out_channels, int64_t out_height, int64_t out_width) {
  const int64_t side = std::min(out_height, out_width);
  if (in_channels * out_channels >= kWideChannelProduct) return side >= kMinWideOutputSide;
  return side >= kMinOutputSide;
}

}  // namespace upres::engine::cpu
