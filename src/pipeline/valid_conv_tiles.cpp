// Exact tiles for valid-convolution models: border extension, the aligned grid, the whole-image
// global averages and the assembly of the output.
#include "pipeline/valid_conv_tiles.h"

#include <algorithm>
#include <vector>

namespace upres::pipeline {
namespace {

using engine::Tensor;

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// Tiles along one axis: the image is padded to a multiple of the alignment (as the untiled graph
// pads it); cores of `core` pixels start at multiples of it, the last one shifted inwards.
struct WindowAxis {
  int padded_length = 0;
  int core = 0;
  std::vector<int> begins;
};

WindowAxis plan_window_axis(int length, int tile_px, int alignment) {
  WindowAxis axis;
  axis.padded_length = round_up(length, alignment);
  axis.core = std::min(axis.padded_length, std::max(alignment, tile_px / alignment * alignment));
  for (int begin = 0; begin + axis.core < axis.padded_length; begin += axis.core) axis.begins.push_back(begin);
  axis.begins.push_back(axis.padded_length - axis.core);
  return axis;
}

// Source index of every position of an axis extended by `before` and `after`, exactly as the
// model's graph extends it (ncnn_upscale_model's pad_border: reflect-101 repeated while the border
// is wider than the axis; a single pixel is repeated). -1 means zero.
std::vector<int> border_index_map(int length, int before, int after, engine::PadMode mode) {
  std::vector<int> index(static_cast<size_t>(length));
  for (int i = 0; i < length; ++i) index[static_cast<size_t>(i)] = i;
  while (before > 0 || after > 0) {
    const int n = static_cast<int>(index.size());
    int step_before = before, step_after = after;
    if (mode == engine::PadMode::kReflect && n > 1) {
      step_before = std::min(before, n - 1);
      step_after = std::min(after, n - 1);
    }
    std::vector<int> grown;
    for (int i = step_before; i >= 1; --i) {
      grown.push_back(mode == engine::PadMode::kZero ? -1 : mode == engine::PadMode::kReflect && n > 1 ? index[i] : index[0]);
    }
    grown.insert(grown.end(), index.begin(), index.end());
    for (int i = 1; i <= step_after; ++i) {
      grown.push_back(mode == engine::PadMode::kZero      ? -1
                      : mode == engine::PadMode::kReflect && n > 1 ? index[static_cast<size_t>(n - 1 - i)]
                                                                   : index[static_cast<size_t>(n - 1)]);
    }
    index = std::move(grown);
    before -= step_before;
    after -= step_after;
  }
  return index;
}

// The RGB image extended to a planar [1, 3, rows.size(), columns.size()] through the index maps.
Result<Tensor> extend_border(const image::Image& rgb, const std::vector<int>& rows, const std::vector<int>& columns) {
  const int out_h = static_cast<int>(rows.size()), out_w = static_cast<int>(columns.size());
  UPRES_ASSIGN_OR_RETURN(Tensor out, Tensor::zeros({1, 3, out_h, out_w}));
  float* dst = out.f32();
  const size_t plane = static_cast<size_t>(out_w) * out_h;
  for (int y = 0; y < out_h; ++y) {
    const int sy = rows[static_cast<size_t>(y)];
    if (sy < 0) continue;
    for (int x = 0; x < out_w; ++x) {
      const int sx = columns[static_cast<size_t>(x)];
      if (sx < 0) continue;
      for (int c = 0; c < 3; ++c) dst[c * plane + static_cast<size_t>(y) * out_w + x] = rgb.at(sx, sy, c);
    }
  }
  return out;
}

// Copies the window of `dst`'s size at (x0, y0) of `src`.
void copy_window(const Tensor& src, int x0, int y0, Tensor& dst) {
  const int src_h = static_cast<int>(src.dim(2)), src_w = static_cast<int>(src.dim(3));
  const int h = static_cast<int>(dst.dim(2)), w = static_cast<int>(dst.dim(3));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y) {
      const float* from = src.f32() + (static_cast<size_t>(c) * src_h + y0 + y) * src_w + x0;
      std::copy(from, from + w, dst.f32() + (static_cast<size_t>(c) * h + y) * w);
    }
}

// The rows (or columns) of tile `t`'s feature map that belong to it, so that every position of
// the untiled feature map is counted once: from its offset to the next tile's, the last tile to
// the end. Offsets are input offsets times the density, whole numbers on an aligned grid.
Result<std::pair<int, int>> owned_feature_range(const WindowAxis& axis, size_t t, std::pair<int, int> density,
                                                int feature_length) {
  auto offset = [&](size_t i) -> Result<int> {
    const int64_t scaled = int64_t{axis.begins[i]} * density.first;
    if (scaled % density.second != 0) return internal_error("tile offset falls between feature pixels");
    return static_cast<int>(scaled / density.second);
  };
  UPRES_ASSIGN_OR_RETURN(int begin, offset(t));
  int end = begin + feature_length;
  if (t + 1 < axis.begins.size()) {
    UPRES_ASSIGN_OR_RETURN(end, offset(t + 1));
  }
  if (end - begin > feature_length || end < begin) return internal_error("tile feature maps leave a gap");
  return std::pair{0, end - begin};
}

}  // namespace

bool needs_valid_conv_tiles(const models::ValidConvTiling& tiling, int height, int width, int tile_px) {
  return plan_window_axis(height, tile_px, tiling.alignment).begins.size() > 1 ||
         plan_window_axis(width, tile_px, tiling.alignment).begins.size() > 1;
}

Result<image::Image> run_valid_conv_tiles(const models::UpscaleModel& model, const image::Image& rgb, int tile_px,
                                          const WindowExecutableFn& executable_for, const std::string& stage,
                                          Progress& progress) {
  const models::ValidConvTiling tiling = *model.valid_conv_tiling();
  const int h = rgb.height(), w = rgb.width();
  const int s = model.scale(), context = tiling.context_px;
  const WindowAxis ax = plan_window_axis(w, tile_px, tiling.alignment);
  const WindowAxis ay = plan_window_axis(h, tile_px, tiling.alignment);
  UPRES_ASSIGN_OR_RETURN(
      Tensor extended,
      extend_border(rgb, border_index_map(h, context, context + ay.padded_length - h, tiling.border),
                    border_index_map(w, context, context + ax.padded_length - w, tiling.border)));
  const int means = static_cast<int>(tiling.global_mean_density.size());
  const long runs = static_cast<long>(ay.begins.size() * ax.begins.size()) * (means + 1);
  long done = 0;
  std::vector<Tensor> inputs(1);  // the window, then the global averages found so far
  UPRES_ASSIGN_OR_RETURN(inputs[0], Tensor::zeros({1, 3, ay.core + 2 * context, ax.core + 2 * context}));

  // Runs the window at every tile through the graph `graph_means` selects; `visit` sees each output.
  auto run_all_tiles = [&](const models::GlobalMeanInputs& graph_means,
                           const std::function<Status(size_t, size_t, const Tensor&)>& visit) -> Status {
    UPRES_ASSIGN_OR_RETURN(engine::Executable * executable, executable_for(ay.core, ax.core, graph_means));
    Tensor outputs[1];
    for (size_t ty = 0; ty < ay.begins.size(); ++ty)
      for (size_t tx = 0; tx < ax.begins.size(); ++tx) {
        if (progress.is_cancelled()) return cancelled("interrupted during " + stage);
        copy_window(extended, ax.begins[tx], ay.begins[ty], inputs[0]);
        UPRES_RETURN_IF_ERROR(executable->run(inputs, outputs));
        UPRES_RETURN_IF_ERROR(visit(ty, tx, outputs[0]));
        progress.report({stage, ++done, runs});
      }
    return Status::ok();
  };

  // Each global average over the whole image: the sum of every tile's owned feature pixels.
  for (int k = 0; k < means; ++k) {
    const auto density = tiling.global_mean_density[static_cast<size_t>(k)];
    std::vector<double> sums;
    int64_t count = 0;
    UPRES_RETURN_IF_ERROR(run_all_tiles({.supplied = k, .stop = true}, [&](size_t ty, size_t tx, const Tensor& f) {
      const int channels = static_cast<int>(f.dim(1)), fh = static_cast<int>(f.dim(2)), fw = static_cast<int>(f.dim(3));
      UPRES_ASSIGN_OR_RETURN(auto rows, owned_feature_range(ay, ty, density, fh));
      UPRES_ASSIGN_OR_RETURN(auto columns, owned_feature_range(ax, tx, density, fw));
      sums.resize(static_cast<size_t>(channels), 0.0);
      for (int c = 0; c < channels; ++c)
        for (int y = rows.first; y < rows.second; ++y) {
          const float* row = f.f32() + (static_cast<size_t>(c) * fh + y) * fw;
          double sum = 0;
          for (int x = columns.first; x < columns.second; ++x) sum += row[x];
          sums[static_cast<size_t>(c)] += sum;
        }
      count += int64_t{rows.second - rows.first} * (columns.second - columns.first);
      return Status::ok();
    }));
    if (count == 0) return internal_error("no feature pixels for global average " + std::to_string(k));
    UPRES_ASSIGN_OR_RETURN(Tensor mean, Tensor::zeros({1, static_cast<int64_t>(sums.size()), 1, 1}));
    for (size_t c = 0; c < sums.size(); ++c) mean.f32()[c] = static_cast<float>(sums[c] / static_cast<double>(count));
    inputs.push_back(mean);
  }

  // The output, tile by tile, clipped to the picture; shifted last tiles rewrite equal values.
  image::Image output(w * s, h * s, 3);
  const int tile_h = ay.core * s, tile_w = ax.core * s;
  const size_t tile_plane = static_cast<size_t>(tile_w) * tile_h;
  UPRES_RETURN_IF_ERROR(run_all_tiles({.supplied = means}, [&](size_t ty, size_t tx, const Tensor& tile) {
    const int x0 = ax.begins[tx] * s, y0 = ay.begins[ty] * s;
    const int visible_w = std::min(tile_w, w * s - x0), visible_h = std::min(tile_h, h * s - y0);
    for (int y = 0; y < visible_h; ++y) {
      const float* from = tile.f32() + static_cast<size_t>(y) * tile_w;
      float* to = &output.at(x0, y0 + y, 0);
      for (int x = 0; x < visible_w; ++x)
        for (int c = 0; c < 3; ++c) to[x * 3 + c] = from[c * tile_plane + x];
    }
    return Status::ok();
  }));
  return output;
}

}  // namespace upres::pipeline
