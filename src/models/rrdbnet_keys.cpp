// RRDBNetKeys: key names per layout (spandrel architectures/ESRGAN, the old-arch conversion table).
#include "models/rrdbnet_keys.h"

namespace upres::models {

bool detect_rrdbnet_layout(const nn::StateDict& weights, RRDBNetLayout* layout) {
  if (weights.has("conv_first.weight") && weights.has("body.0.rdb1.conv1.weight") &&
      weights.has("conv_body.weight") && weights.has("conv_last.weight")) {
    *layout = RRDBNetLayout::kBasicSR;
    return true;
  }
  if (weights.has("model.0.weight") && weights.has("model.1.sub.0.RDB1.conv1.0.weight")) {
    *layout = RRDBNetLayout::kOldArch;
    return true;
  }
  if (weights.has("conv_first.weight") && weights.has("RRDB_trunk.0.RDB1.conv1.weight") &&
      weights.has("trunk_conv.weight") && weights.has("conv_last.weight")) {
    *layout = RRDBNetLayout::kRealSR;
    return true;
  }
  return false;
}

std::string RRDBNetKeys::conv_first() const {
  return layout_ == RRDBNetLayout::kOldArch ? "model.0" : "conv_first";
}

std::string RRDBNetKeys::body_conv(int block, int rdb, int conv) const {
  const std::string b = std::to_string(block);
  const std::string r = std::to_string(rdb);
  const std::string c = std::to_string(conv);
  switch (layout_) {
    case RRDBNetLayout::kBasicSR: return "body." + b + ".rdb" + r + ".conv" + c;
    case RRDBNetLayout::kOldArch: return "model.1.sub." + b + ".RDB" + r + ".conv" + c + ".0";
    case RRDBNetLayout::kRealSR: return "RRDB_trunk." + b + ".RDB" + r + ".conv" + c;
  }
  return {};
}

std::string RRDBNetKeys::conv_body() const {
  switch (layout_) {
    case RRDBNetLayout::kBasicSR: return "conv_body";
    case RRDBNetLayout::kOldArch: return "model.1.sub." + std::to_string(num_block_);
    case RRDBNetLayout::kRealSR: return "trunk_conv";
  }
  return {};
}

// Old arch: model.2 onwards holds (Upsample, conv, LeakyReLU) per stage, then HR conv,
// LeakyReLU, last conv.
std::string RRDBNetKeys::conv_up(int stage) const {
  switch (layout_) {
    case RRDBNetLayout::kBasicSR: return "conv_up" + std::to_string(stage);
    case RRDBNetLayout::kOldArch: return "model." + std::to_string(3 * stage);
    case RRDBNetLayout::kRealSR: return "upconv" + std::to_string(stage);
  }
  return {};
}

std::string RRDBNetKeys::conv_hr() const {
  switch (layout_) {
    case RRDBNetLayout::kBasicSR: return "conv_hr";
    case RRDBNetLayout::kOldArch: return "model." + std::to_string(3 * num_upsample_ + 2);
    case RRDBNetLayout::kRealSR: return "HRconv";
  }
  return {};
}

std::string RRDBNetKeys::conv_last() const {
  return layout_ == RRDBNetLayout::kOldArch ? "model." + std::to_string(3 * num_upsample_ + 4)
                                            : "conv_last";
}

}  // namespace upres::models
