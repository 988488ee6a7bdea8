#include "pipeline/neural_upscaler.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "engine/backend_registry.h"
#include "image/resample.h"
#include "pipeline/tile_plan.h"
#include "pipeline/valid_conv_tiles.h"

namespace upres::pipeline {
namespace {

using engine::Tensor;

// [1, 3, h, w] from the colour channels; grey is repeated into R, G and B; alpha is left out.
Tensor to_rgb_tensor(const image::Image& input) {
  const int w = input.width(), h = input.height(), colors = input.color_channels();
  Tensor rgb = Tensor::zeros({1, 3, h, w}).value();
  float* out = rgb.f32();
  const size_t plane = static_cast<size_t>(w) * h;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        out[c * plane + static_cast<size_t>(y) * w + x] = input.at(x, y, colors == 1 ? 0 : c);
  return rgb;
}

// Back to an image with the original's channel count (grey = mean of R, G, B), clamped to [0, 1];
// alpha, if any, is filled in later.
image::Image to_image(const Tensor& rgb, int channels) {
  const int h = static_cast<int>(rgb.dim(2)), w = static_cast<int>(rgb.dim(3));
  const bool grey = channels <= 2;
  image::Image out(w, h, channels);
  const float* in = rgb.f32();
  const size_t plane = static_cast<size_t>(w) * h;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (grey) {
        out.at(x, y, 0) = std::clamp((in[i] + in[plane + i] + in[2 * plane + i]) / 3.0f, 0.0f, 1.0f);
      } else {
        for (int c = 0; c < 3; ++c) out.at(x, y, c) = std::clamp(in[c * plane + i], 0.0f, 1.0f);
      }
    }
  }
  return out;
}

// Copies the window [x0, x0+w) x [y0, y0+h) of `src` into `dst` ([1, 3, h, w]); positions past the
// source edge repeat the last row/column (only used to pad to the model's size multiple).
void copy_window(const Tensor& src, int x0, int y0, Tensor& dst) {
  const int src_h = static_cast<int>(src.dim(2)), src_w = static_cast<int>(src.dim(3));
  const int h = static_cast<int>(dst.dim(2)), w = static_cast<int>(dst.dim(3));
  const float* in = src.f32();
  float* out = dst.f32();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y) {
      const int sy = std::min(y0 + y, src_h - 1);
      const float* row = in + (static_cast<size_t>(c) * src_h + sy) * src_w;
      float* out_row = out + (static_cast<size_t>(c) * h + y) * w;
      for (int x = 0; x < w; ++x) out_row[x] = row[std::min(x0 + x, src_w - 1)];
    }
}

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

NeuralUpscaler::NeuralUpscaler(std::string name, std::shared_ptr<const models::UpscaleModel> model,
                               InferenceOptions options)
    : name_(std::move(name)), model_(std::move(model)), options_(std::move(options)) {}

int NeuralUpscaler::initial_tile_px() const {
  const int multiple = std::max(8, model_->size_multiple());
  int tile = options_.tile_px;
  if (tile <= 0) {
    double pixels = options_.max_memory_bytes / std::max(1.0, model_->bytes_per_input_pixel());
    tile = std::clamp(static_cast<int>(std::sqrt(pixels)), 64, 1024);
  }
  return std::max(multiple, tile / multiple * multiple);
}

Result<engine::Executable*> NeuralUpscaler::executable_for(const GraphKey& key) {
  if (executable_ && executable_key_ == key) return executable_.get();
  executable_.reset();  // free the old arena before planning the new one
  if (!backend_) {
    std::string name = options_.backend;
    if (name.empty()) {
      auto names = engine::backend_names();
      name = std::find(names.begin(), names.end(), "cpu") != names.end() ? "cpu" : "reference";
    }
    UPRES_ASSIGN_OR_RETURN(backend_, engine::create_backend(name));
  }
  UPRES_ASSIGN_OR_RETURN(engine::Graph graph, key.window ? model_->build_window_graph(key.height, key.width, key.means)
                                                          : model_->build_graph(key.height, key.width));
  engine::PrepareOptions prepare;
  prepare.compute_dtype = options_.precision;
  try {
    UPRES_ASSIGN_OR_RETURN(executable_, backend_->prepare(graph, prepare));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory preparing " + name_ + " for a " +
                              std::to_string(key.width) + "x" + std::to_string(key.height) + " tile");
  }
  executable_key_ = key;
  return executable_.get();
}

Result<Tensor> NeuralUpscaler::run_tiled(const Tensor& rgb, int tile_px, Progress& progress) {
  const int h = static_cast<int>(rgb.dim(2)), w = static_cast<int>(rgb.dim(3));
  const int s = model_->scale();
  const int overlap = std::min(options_.overlap_px, tile_px / 3);
  const TilePlan plan = plan_tiles(w, h, tile_px, overlap);
  UPRES_ASSIGN_OR_RETURN(engine::Executable * executable,
                         executable_for({.height = plan.y.input_length, .width = plan.x.input_length}));
  UPRES_ASSIGN_OR_RETURN(Tensor output, Tensor::zeros({1, 3, int64_t{h} * s, int64_t{w} * s}));
  UPRES_ASSIGN_OR_RETURN(Tensor tile_in, Tensor::zeros({1, 3, plan.y.input_length, plan.x.input_length}));
  Tensor tile_out;
  const int tile_out_w = plan.x.input_length * s, tile_out_h = plan.y.input_length * s;
  const size_t out_plane = static_cast<size_t>(w) * s * h * s;
  int done = 0;
  for (size_t ty = 0; ty < plan.y.spans.size(); ++ty) {
    for (size_t tx = 0; tx < plan.x.spans.size(); ++tx) {
      if (progress.is_cancelled()) return cancelled("interrupted during " + name_);
      const int x0 = plan.x.spans[tx].input_begin, y0 = plan.y.spans[ty].input_begin;
      copy_window(rgb, x0, y0, tile_in);
      Tensor outputs[1] = {tile_out};
      try {
        UPRES_RETURN_IF_ERROR(executable->run(std::span<const Tensor>(&tile_in, 1), outputs));
      } catch (const std::bad_alloc&) {
        return resource_exhausted("out of memory running " + name_ + " on a tile");
      }
      tile_out = outputs[0];
      // Blend: weights of the tiles covering a pixel sum to 1 per axis, so a weighted sum suffices.
      std::vector<float> wx(tile_out_w), wy(tile_out_h);
      for (int i = 0; i < tile_out_w; ++i) wx[i] = plan.x.weight(static_cast<int>(tx), x0 + (i + 0.5) / s);
      for (int i = 0; i < tile_out_h; ++i) wy[i] = plan.y.weight(static_cast<int>(ty), y0 + (i + 0.5) / s);
      const float* in = tile_out.f32();
      float* out = output.f32();
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < tile_out_h; ++y) {
          if (wy[y] == 0.0f) continue;
          const float* row = in + (static_cast<size_t>(c) * tile_out_h + y) * tile_out_w;
          float* out_row = out + c * out_plane + (static_cast<size_t>(y0) * s + y) * w * s + static_cast<size_t>(x0) * s;
          for (int x = 0; x < tile_out_w; ++x) out_row[x] += wy[y] * wx[x] * row[x];
        }
      progress.report({name_ + " tile", ++done, plan.tile_count()});
    }
  }
  return output;
}

Result<Tensor> NeuralUpscaler::run_pass(const Tensor& rgb, Progress& progress) {
  const int multiple = std::max(1, model_->size_multiple());
  const int h = static_cast<int>(rgb.dim(2)), w = static_cast<int>(rgb.dim(3));
  const std::optional<models::ValidConvTiling> valid = model_->valid_conv_tiling();
  const int padded_h = round_up(h, multiple), padded_w = round_up(w, multiple);
  Tensor source = rgb;
  if (padded_h != h || padded_w != w) {  // repeat the edge to the size the model needs
    UPRES_ASSIGN_OR_RETURN(source, Tensor::zeros({1, 3, padded_h, padded_w}));
    copy_window(rgb, 0, 0, source);
  }
  auto run = [&](int tile_px) -> Result<Tensor> {
    // Valid convolutions tile exactly; one tile is the whole-image graph either way.
    if (!valid || !needs_valid_conv_tiles(*valid, padded_h, padded_w, tile_px)) return run_tiled(source, tile_px, progress);
    auto window_executable = [this](int height, int width, const models::GlobalMeanInputs& means) {
      return executable_for({.height = height, .width = width, .window = true, .means = means});
    };
    try {
      return run_valid_conv_tiles(*model_, source, tile_px, window_executable, name_ + " tile", progress);
    } catch (const std::bad_alloc&) {
      return resource_exhausted("out of memory running " + name_ + " on a tile");
    }
  };
  int tile_px = initial_tile_px();
  Result<Tensor> result = run(tile_px);
  // Out of memory: halve the tile and start the pass again.
  while (!result.is_ok() && result.status().code() == StatusCode::kResourceExhausted && tile_px > 64) {
    tile_px = std::max(64, tile_px / 2 / multiple * multiple);
    executable_.reset();
    result = run(tile_px);
  }
  last_tile_px_ = tile_px;
  if (!result.is_ok() || (padded_h == h && padded_w == w)) return result;
  const int s = model_->scale();
  UPRES_ASSIGN_OR_RETURN(Tensor cropped, Tensor::zeros({1, 3, int64_t{h} * s, int64_t{w} * s}));
  copy_window(result.value(), 0, 0, cropped);
  return cropped;
}

Result<image::Image> NeuralUpscaler::upscale(const image::Image& input, int width, int height,
                                             Progress& progress) {
  std::lock_guard lock(mutex_);
  Tensor current = to_rgb_tensor(input);
  // Native-scale passes until the target is covered (at most 3, as the reference UI).
  for (int pass = 0; pass < 3; ++pass) {
    if (pass > 0 && current.dim(3) >= width && current.dim(2) >= height) break;
    UPRES_ASSIGN_OR_RETURN(current, run_pass(current, progress));
  }
  image::Image out = to_image(current, input.channels());
  if (out.width() != width || out.height() != height)
    out = image::resize(out, width, height, image::ResampleFilter::kLanczos);
  if (input.has_alpha()) {
    image::Image alpha(input.width(), input.height(), 1);
    for (int y = 0; y < input.height(); ++y)
      for (int x = 0; x < input.width(); ++x) alpha.at(x, y, 0) = input.at(x, y, input.channels() - 1);
    alpha = image::resize(alpha, width, height, image::ResampleFilter::kLanczos);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) out.at(x, y, out.channels() - 1) = alpha.at(x, y, 0);
  }
  out.metadata = input.metadata;
  return out;
}

}  // namespace upres::pipeline
