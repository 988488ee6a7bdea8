// RRDBNetKeys: the state-dict key of each RRDBNet child in the three layouts found in the wild
// (basicsr "new arch", the original ESRGAN "old arch" Sequential, and BSRGAN/RealSR), following
// spandrel's conversion table. Value type; thread-safe.
#pragma once

#include <string>

#include "nn/state_dict.h"

namespace upres::models {

enum class RRDBNetLayout {
  kBasicSR,  // conv_first, body.N.rdb1.conv1, conv_body, conv_up1, conv_hr, conv_last
  kOldArch,  // model.0, model.1.sub.N.RDB1.conv1.0, model.1.sub.<nb>, model.3, ...
  kRealSR,   // conv_first, RRDB_trunk.N.RDB1.conv1, trunk_conv, upconv1, HRconv, conv_last
};

// The layout whose characteristic keys `weights` holds, if any.
bool detect_rrdbnet_layout(const nn::StateDict& weights, RRDBNetLayout* layout);

class RRDBNetKeys {
 public:
  // num_block and num_upsample place the old-arch indices after the body.
  RRDBNetKeys(RRDBNetLayout layout, int num_block, int num_upsample)
      : layout_(layout), num_block_(num_block), num_upsample_(num_upsample) {}

  // Key prefixes (append ".weight" / ".bias").
  std::string conv_first() const;
  // block in [0, num_block), rdb in [1, 3], conv in [1, 5].
  std::string body_conv(int block, int rdb, int conv) const;
  std::string conv_body() const;
  // stage in [1, num_upsample].
  std::string conv_up(int stage) const;
  std::string conv_hr() const;
  std::string conv_last() const;

 private:
  RRDBNetLayout layout_;
  int num_block_;
  int num_upsample_;
};

}  // namespace upres::models
