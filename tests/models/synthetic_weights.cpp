// Synthetic state dicts for model tests.
#include "synthetic_weights.h"

#include <gtest/gtest.h>

#include <map>

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

namespace {

// Channels at each resolution (4 .. 1024) for GFPGAN's `narrow` and channel_multiplier 2.
std::map<int, int64_t> gfpgan_widths(double narrow) {
  const std::map<int, int64_t> base = {{4, 512}, {8, 512}, {16, 512}, {32, 512}, {64, 512},
                                       {128, 256}, {256, 128}, {512, 64}, {1024, 32}};
  std::map<int, int64_t> out;
  for (const auto& [r, c] : base) out[r] = static_cast<int64_t>(c * narrow);
  return out;
}

void add_conv_k(Shapes& s, const std::string& key, int64_t in, int64_t out, int64_t k, bool bias = true) {
  s.push_back({key + ".weight", {out, in, k, k}});
  if (bias) s.push_back({key + ".bias", {out}});
}

void add_res_block(Shapes& s, const std::string& key, int64_t in, int64_t out) {
  add_conv_k(s, key + ".conv1", in, in, 3);
  add_conv_k(s, key + ".conv2", in, out, 3);
  add_conv_k(s, key + ".skip", in, out, 1, /*bias=*/false);
}

void add_modulated(Shapes& s, const std::string& key, int64_t in, int64_t out, int64_t k, int64_t style) {
  s.push_back({key + ".modulated_conv.modulation.weight", {in, style}});
  s.push_back({key + ".modulated_conv.modulation.bias", {in}});
  s.push_back({key + ".modulated_conv.weight", {1, out, in, k, k}});
}

}  // namespace

Shapes gfpgan_v1_clean(int out_size) {
  const int64_t style = 512;
  int log_size = 0;
  while ((1 << log_size) < out_size) ++log_size;
  const std::map<int, int64_t> unet = gfpgan_widths(0.5), dec = gfpgan_widths(1.0);
  Shapes s;
  add_conv_k(s, "conv_body_first", 3, unet.at(out_size), 1);
  int64_t cin = unet.at(out_size);
  for (int i = log_size, k = 0; i > 2; --i, ++k) {
    add_res_block(s, "conv_body_down." + std::to_string(k), cin, unet.at(1 << (i - 1)));
    cin = unet.at(1 << (i - 1));
  }
  add_conv_k(s, "final_conv", cin, unet.at(4), 3);
  cin = unet.at(4);
  for (int i = 3, k = 0; i <= log_size; ++i, ++k) {
    add_res_block(s, "conv_body_up." + std::to_string(k), cin, unet.at(1 << i));
    cin = unet.at(1 << i);
  }
  for (int i = 3, k = 0; i <= log_size; ++i, ++k) add_conv_k(s, "toRGB." + std::to_string(k), unet.at(1 << i), 3, 1);
  const int64_t latents = log_size * 2 - 2;
  s.push_back({"final_linear.weight", {latents * style, unet.at(4) * 16}});
  s.push_back({"final_linear.bias", {latents * style}});
  const std::string d = "stylegan_decoder.";
  for (int m = 1; m <= 15; m += 2) {
    s.push_back({d + "style_mlp." + std::to_string(m) + ".weight", {style, style}});
    s.push_back({d + "style_mlp." + std::to_string(m) + ".bias", {style}});
  }
  s.push_back({d + "constant_input.weight", {1, dec.at(4), 4, 4}});
  add_modulated(s, d + "style_conv1", dec.at(4), dec.at(4), 3, style);
  s.push_back({d + "style_conv1.weight", {1}});
  s.push_back({d + "style_conv1.bias", {1, dec.at(4), 1, 1}});
  add_modulated(s, d + "to_rgb1", dec.at(4), 3, 1, style);
  s.push_back({d + "to_rgb1.bias", {1, 3, 1, 1}});
  for (int i = 0; i < (log_size - 2) * 2 + 1; ++i) {
    const int64_t r = int64_t{1} << ((i + 5) / 2);
    s.push_back({d + "noises.noise" + std::to_string(i), {1, 1, r, r}});
  }
  cin = dec.at(4);
  for (int i = 3, k = 0; i <= log_size; ++i, ++k) {
    const int64_t cout = dec.at(1 << i);
    for (int j = 0; j < 2; ++j) {
      const std::string key = d + "style_convs." + std::to_string(2 * k + j);
      add_modulated(s, key, j == 0 ? cin : cout, cout, 3, style);
      s.push_back({key + ".weight", {1}});
      s.push_back({key + ".bias", {1, cout, 1, 1}});
    }
    add_modulated(s, d + "to_rgbs." + std::to_string(k), cout, 3, 1, style);
    s.push_back({d + "to_rgbs." + std::to_string(k) + ".bias", {1, 3, 1, 1}});
    cin = cout;
  }
  for (int i = 3, k = 0; i <= log_size; ++i, ++k) {
    const int64_t c = unet.at(1 << i);
    for (const char* branch : {"condition_scale.", "condition_shift."}) {
      add_conv_k(s, branch + std::to_string(k) + ".0", c, c, 3);
      add_conv_k(s, branch + std::to_string(k) + ".2", c, c, 3);
    }
  }
  return s;
}

}  // namespace upres::models::testing
