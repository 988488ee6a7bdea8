// RRDBNet: configuration from weights, weight binding, and the forward graph.
// Original: https://github.com/xinntao/BasicSR/blob/master/basicsr/archs/rrdbnet_arch.py
// (old-arch keys: https://github.com/chaiNNer-org/spandrel, architectures/ESRGAN)
#include "models/rrdbnet.h"

#include <algorithm>
#include <utility>

namespace upres::models {
namespace {

constexpr int kMaxUpsample = 4;  // x16 body; nothing larger exists

// Number of consecutive "<stem>1.weight", "<stem>2.weight", ... keys.
int count_numbered(const nn::StateDict& weights, const std::string& stem) {
  int count = 0;
  while (weights.has(stem + std::to_string(count + 1) + ".weight")) ++count;
  return count;
}

Status read_depths(const nn::StateDict& weights, RRDBNet::Config& c) {
  switch (c.layout) {
    case RRDBNetLayout::kBasicSR:
      c.num_block = weights.seq_len("body");
      c.num_upsample = count_numbered(weights, "conv_up");
      break;
    case RRDBNetLayout::kRealSR:
      c.num_block = weights.seq_len("RRDB_trunk");
      c.num_upsample = count_numbered(weights, "upconv");
      break;
    case RRDBNetLayout::kOldArch: {
      c.num_block = weights.seq_len("model.1.sub") - 1;  // the last sub-module is the trunk conv
      const int length = weights.seq_len("model");  // 5 entries at x1, 3 more per 2x stage
      if (length < 5 || (length - 5) % 3 != 0) {
        return corrupt("old-arch RRDBNet: model.* holds " + std::to_string(length) +
                       " entries, expected 5 + 3 per upsampling stage");
      }
      c.num_upsample = (length - 5) / 3;
      break;
    }
  }
  if (c.num_block < 1) return corrupt("RRDBNet: no RRDB blocks in the weights");
  if (c.num_upsample > kMaxUpsample) {
    return unsupported("RRDBNet with " + std::to_string(c.num_upsample) + " upsampling stages");
  }
  return Status::ok();
}

Status read_unshuffle(RRDBNet::Config& c) {
  if (c.out_channels != 3) {
    return unsupported("RRDBNet with " + std::to_string(c.out_channels) +
                       " output channels (upres runs RGB models only)");
  }
  if (c.in_channels == c.out_channels) {
    c.unshuffle = 1;
  } else if (c.in_channels == 4 * c.out_channels) {
    c.unshuffle = 2;
  } else if (c.in_channels == 16 * c.out_channels) {
    c.unshuffle = 4;
  } else {
    return unsupported("RRDBNet with " + std::to_string(c.in_channels) + " input and " +
                       std::to_string(c.out_channels) + " output channels");
  }
  if ((1 << c.num_upsample) < c.unshuffle) {
    return unsupported("RRDBNet with pixel-unshuffle " + std::to_string(c.unshuffle) + " and " +
                       std::to_string(c.num_upsample) + " upsampling stage(s) has a scale below 1");
  }
  return Status::ok();
}

}  // namespace

Result<RRDBNet::Config> RRDBNet::Config::from_weights(const nn::StateDict& weights) {
  Config c;
  if (!detect_rrdbnet_layout(weights, &c.layout)) {
    return unsupported("not an RRDBNet: keys " + weights.key_sample(6));
  }
  if (weights.has_prefix("model.1.sub.0.RDB1.conv1x1.")) {
    return unsupported("ESRGAN+ (RRDBNet with conv1x1 in its dense blocks) is not supported yet");
  }
  UPRES_RETURN_IF_ERROR(read_depths(weights, c));
  const RRDBNetKeys keys(c.layout, c.num_block, c.num_upsample);
  UPRES_ASSIGN_OR_RETURN(c.num_feat, weights.dim(keys.conv_first() + ".weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.in_channels, weights.dim(keys.conv_first() + ".weight", 1));
  UPRES_ASSIGN_OR_RETURN(c.num_grow_ch, weights.dim(keys.body_conv(0, 1, 1) + ".weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.out_channels, weights.dim(keys.conv_last() + ".weight", 0));
  UPRES_RETURN_IF_ERROR(read_unshuffle(c));
  return c;
}

Result<std::shared_ptr<const RRDBNet>> RRDBNet::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<RRDBNet> net(new RRDBNet(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const RRDBNet>(std::move(net));
}

Result<RRDBNet::ResidualDenseBlock> RRDBNet::bind_rdb(const nn::StateDict& weights, const RRDBNetKeys& keys,
                                                      int block, int rdb) const {
  const RRDBNetKeys names(RRDBNetLayout::kBasicSR, config_.num_block, config_.num_upsample);
  const int64_t nf = config_.num_feat;
  const int64_t gc = config_.num_grow_ch;
  ResidualDenseBlock out;
  nn::Conv2d* const convs[5] = {&out.conv1, &out.conv2, &out.conv3, &out.conv4, &out.conv5};
  for (int c = 1; c <= 5; ++c) {
    const nn::Conv2dShape shape{.in_channels = nf + (c - 1) * gc, .out_channels = c < 5 ? gc : nf};
    UPRES_ASSIGN_OR_RETURN(*convs[c - 1], nn::Conv2d::bind(weights, keys.body_conv(block, rdb, c), shape,
                                                           names.body_conv(block, rdb, c)));
  }
  return out;
}

Status RRDBNet::bind(const nn::StateDict& weights) {
  const Config& c = config_;
  const RRDBNetKeys keys(c.layout, c.num_block, c.num_upsample);
  const RRDBNetKeys names(RRDBNetLayout::kBasicSR, c.num_block, c.num_upsample);
  const nn::Conv2dShape feat{.in_channels = c.num_feat, .out_channels = c.num_feat};
  UPRES_ASSIGN_OR_RETURN(conv_first_, nn::Conv2d::bind(weights, keys.conv_first(),
                                                       {.in_channels = c.in_channels, .out_channels = c.num_feat},
                                                       names.conv_first()));
  for (int b = 0; b < c.num_block; ++b) {
    RRDB block;
    UPRES_ASSIGN_OR_RETURN(block.rdb1, bind_rdb(weights, keys, b, 1));
    UPRES_ASSIGN_OR_RETURN(block.rdb2, bind_rdb(weights, keys, b, 2));
    UPRES_ASSIGN_OR_RETURN(block.rdb3, bind_rdb(weights, keys, b, 3));
    body_.push_back(std::move(block));
  }
  UPRES_ASSIGN_OR_RETURN(conv_body_, nn::Conv2d::bind(weights, keys.conv_body(), feat, names.conv_body()));
  for (int k = 1; k <= c.num_upsample; ++k) {
    UPRES_ASSIGN_OR_RETURN(nn::Conv2d up, nn::Conv2d::bind(weights, keys.conv_up(k), feat, names.conv_up(k)));
    conv_up_.push_back(std::move(up));
  }
  UPRES_ASSIGN_OR_RETURN(conv_hr_, nn::Conv2d::bind(weights, keys.conv_hr(), feat, names.conv_hr()));
  UPRES_ASSIGN_OR_RETURN(conv_last_, nn::Conv2d::bind(weights, keys.conv_last(),
                                                      {.in_channels = c.num_feat, .out_channels = c.out_channels},
                                                      names.conv_last()));
  return Status::ok();
}

// x: [n, nf, h, w] -> [n, nf, h, w]
engine::Value RRDBNet::ResidualDenseBlock::forward(engine::Graph& g, engine::Value x) const {
  engine::Value x1 = g.leaky_relu(conv1(g, x), kLeakySlope);                      // [n, gc, h, w]
  engine::Value x2 = g.leaky_relu(conv2(g, g.concat({x, x1})), kLeakySlope);      // [n, gc, h, w]
  engine::Value x3 = g.leaky_relu(conv3(g, g.concat({x, x1, x2})), kLeakySlope);
  engine::Value x4 = g.leaky_relu(conv4(g, g.concat({x, x1, x2, x3})), kLeakySlope);
  engine::Value x5 = conv5(g, g.concat({x, x1, x2, x3, x4}));                     // [n, nf, h, w]
  return g.add(g.scale(x5, kResidualScale), x);
}

// x: [n, nf, h, w] -> [n, nf, h, w]
engine::Value RRDBNet::RRDB::forward(engine::Graph& g, engine::Value x) const {
  engine::Value out = rdb3.forward(g, rdb2.forward(g, rdb1.forward(g, x)));
  return g.add(g.scale(out, kResidualScale), x);
}

Result<engine::Graph> RRDBNet::build_graph(int height, int width) const {
  const int u = config_.unshuffle;
  if (height <= 0 || width <= 0 || height % u != 0 || width % u != 0) {
    return invalid_argument("RRDBNet: input " + std::to_string(height) + "x" + std::to_string(width) +
                            " is not a positive multiple of " + std::to_string(u));
  }
  engine::Graph g;
  engine::Value x = g.input("input", {1, 3, height, width});          // [1, 3, H, W]
  if (u > 1) x = g.pixel_unshuffle(x, u);                                // [1, 3u², H/u, W/u]
  engine::Value feat = conv_first_(g, x);                                // [1, nf, h, w]
  engine::Value body = feat;
  for (const RRDB& block : body_) body = block.forward(g, body);         // [1, nf, h, w]
  feat = g.add(conv_body_(g, body), feat);
  const engine::ResizeAttrs nearest2x{.mode = engine::ResizeMode::kNearest, .scale_h = 2, .scale_w = 2};
  for (const nn::Conv2d& up : conv_up_) {
    feat = g.leaky_relu(up(g, g.resize(feat, nearest2x)), kLeakySlope);  // [1, nf, 2h, 2w] per stage
  }
  engine::Value out = conv_last_(g, g.leaky_relu(conv_hr_(g, feat), kLeakySlope));  // [1, 3, sH, sW]
  g.mark_output(out);
  if (!g.status().is_ok()) return g.status().with_context("RRDBNet graph");
  return g;
}

// Peak of the fp32 values alive at once: in the body, the block input and the RRDB/RDB inputs plus
// the dense concat and a conv output; at the last 2x stage and conv_hr, three num_feat buffers at
// output resolution (a conv's input and output, and the one more the cpu backend was measured to
// hold there). Per input pixel, plus the graph input and output. Measured against arena_bytes()
// in tests/models/memory_estimate_test.cpp.
double RRDBNet::bytes_per_input_pixel() const {
  const double nf = static_cast<double>(config_.num_feat);
  const double gc = static_cast<double>(config_.num_grow_ch);
  const double lr_pixels = 1.0 / (config_.unshuffle * config_.unshuffle);
  const double hr_area = static_cast<double>(1 << (2 * config_.num_upsample));
  const double body = 4 * nf + 5 * gc;
  const double upsampled = 3 * nf * hr_area;
  const double scale = config_.scale();
  return 4.0 * (std::max(body, upsampled) * lr_pixels + 3.0 + 3.0 * scale * scale);
}

int64_t RRDBNet::parameter_count() const {
  int64_t total = conv_first_.parameter_count() + conv_body_.parameter_count() +
                  conv_hr_.parameter_count() + conv_last_.parameter_count();
  for (const nn::Conv2d& up : conv_up_) total += up.parameter_count();
  for (const RRDB& b : body_) {
    for (const ResidualDenseBlock* rdb : {&b.rdb1, &b.rdb2, &b.rdb3}) {
      for (const nn::Conv2d* conv : {&rdb->conv1, &rdb->conv2, &rdb->conv3, &rdb->conv4, &rdb->conv5}) {
        total += conv->parameter_count();
      }
    }
  }
  return total;
}

}  // namespace upres::models
