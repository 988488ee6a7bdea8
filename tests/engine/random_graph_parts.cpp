#include "random_graph_parts.h"

#include <cmath>
#include <vector>

namespace upres::engine {

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = dist(rng);
  return *Tensor::from_f32(values, shape);
}

Value random_conv3x3(Graph& g, Value x, int64_t in, int64_t out, std::mt19937& rng) {
  const float range = 1.0f / std::sqrt(static_cast<float>(in * 9));
  return g.conv2d(x, random_tensor({out, in, 3, 3}, rng, range), random_tensor({out}, rng, 0.1f), {.padding = 1});
}

ResizeAttrs resize_to(ResizeMode mode, int64_t h, int64_t w, bool align_corners) {
  ResizeAttrs a;
  a.mode = mode;
  a.out_h = h;
  a.out_w = w;
  a.align_corners = align_corners;
  return a;
}

ResizeAttrs resize_by(ResizeMode mode, float scale) {
  ResizeAttrs a;
  a.mode = mode;
  a.scale_h = scale;
  a.scale_w = scale;
  return a;
}

Graph conv_resample_conv(int64_t channels, const Resampling& resampling, std::mt19937& rng) {
  Graph g;
  Value x = random_conv3x3(g, g.input("x", {1, 8, 15, 19}), 8, channels, rng);
  Value y = std::holds_alternative<ResizeAttrs>(resampling) ? g.resize(x, std::get<ResizeAttrs>(resampling))
                                                            : g.pad(x, std::get<PadAttrs>(resampling));
  g.mark_output(random_conv3x3(g, y, channels, 16, rng));
  return g;
}

namespace {

Value dense_block(Graph& g, Value x, int64_t nf, int64_t gc, std::mt19937& rng) {
  std::vector<Value> features = {x};
  for (int i = 1; i <= 4; ++i) {
    Value cat = features.size() == 1 ? x : g.concat(features, 1);
    features.push_back(g.leaky_relu(random_conv3x3(g, cat, nf + gc * (i - 1), gc, rng), 0.2f));
  }
  return g.add(g.scale(random_conv3x3(g, g.concat(features, 1), nf + 4 * gc, nf, rng), 0.2f), x);
}

}  // namespace

Graph rrdb_trunk(const Shape& input, int64_t nf, int64_t gc) {
  std::mt19937 rng(2024);
  Graph g;
  Value feat = random_conv3x3(g, g.input("x", input), input[1], nf, rng);
  Value body = feat;
  for (int block = 0; block < 2; ++block) {
    Value in = body;
    for (int rdb = 0; rdb < 3; ++rdb) body = dense_block(g, body, nf, gc, rng);
    body = g.add(g.scale(body, 0.2f), in);
  }
  g.mark_output(g.add(random_conv3x3(g, body, nf, nf, rng), feat));
  return g;
}

}  // namespace upres::engine
