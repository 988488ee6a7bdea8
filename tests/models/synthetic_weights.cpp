// Synthetic state dicts for model tests.
#include "synthetic_weights.h"

#include <gtest/gtest.h>

#include "engine/tensor.h"

namespace upres::models::testing {

weights::WeightMap make_weights(const Shapes& shapes) {
  uint64_t total = 0;
  for (const auto& [name, shape] : shapes) total += 4 * static_cast<uint64_t>(engine::shape_numel(shape));
  weights::WeightMap map;
  const uint32_t source = map.add_source(weights::ByteSource::from_bytes(std::vector<uint8_t>(total), "test"));
  uint64_t offset = 0;
  for (const auto& [name, shape] : shapes) {
    const uint64_t length = 4 * static_cast<uint64_t>(engine::shape_numel(shape));
    const Status status =
        map.add_entry({.name = name, .shape = shape, .source = source, .offset = offset, .length = length});
    EXPECT_TRUE(status.is_ok()) << status.to_string();
    offset += length;
  }
  return map;
}

void add_conv(Shapes& shapes, const std::string& key, int64_t in, int64_t out) {
  shapes.push_back({key + ".weight", {out, in, 3, 3}});
  shapes.push_back({key + ".bias", {out}});
}

Shapes basicsr_rrdbnet(int64_t nf, int64_t gc, int nb, int ups, int64_t in) {
  Shapes s;
  add_conv(s, "conv_first", in, nf);
  for (int b = 0; b < nb; ++b) {
    for (int r = 1; r <= 3; ++r) {
      for (int c = 1; c <= 5; ++c) {
        add_conv(s, "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" + std::to_string(c),
                 nf + (c - 1) * gc, c < 5 ? gc : nf);
      }
    }
  }
  add_conv(s, "conv_body", nf, nf);
  for (int k = 1; k <= ups; ++k) add_conv(s, "conv_up" + std::to_string(k), nf, nf);
  add_conv(s, "conv_hr", nf, nf);
  add_conv(s, "conv_last", nf, 3);
  return s;
}

Shapes compact(int64_t nf, int num_conv, int scale, bool prelu) {
  Shapes s;
  const int last = 2 * num_conv + 2;
  for (int i = 0; i <= last; i += 2) {
    add_conv(s, "body." + std::to_string(i), i == 0 ? 3 : nf, i == last ? 3 * scale * scale : nf);
    if (prelu && i < last) s.push_back({"body." + std::to_string(i + 1) + ".weight", {nf}});
  }
  return s;
}

}  // namespace upres::models::testing
