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

// `input`'s colour channels as RGB (grey repeated into R, G and B; alpha left out).
image::Image to_rgb(const image::Image& input) {
  const int w = input.width(), h = input.height(), colors = input.color_channels();
  image::Image rgb(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = input.at(x, y, colors == 1 ? 0 : c);
  return rgb;
}

// The RGB result clamped to [0, 1] with the original's channel count (grey = mean of R, G, B);
// alpha, if any, is filled in later. RGB, the usual case, is clamped in place, not copied.
image::Image with_channels(image::Image rgb, int channels) {
  float* samples = rgb.pixels();
  for (size_t i = 0; i < rgb.sample_count(); ++i) samples[i] = std::clamp(samples[i], 0.0f, 1.0f);
  if (channels == 3) return rgb;
  image::Image out(rgb.width(), rgb.height(), channels);
  for (int y = 0; y < rgb.height(); ++y)
    for (int x = 0; x < rgb.width(); ++x) {
      if (channels <= 2) {
        out.at(x, y, 0) = (rgb.at(x, y, 0) + rgb.at(x, y, 1) + rgb.at(x, y, 2)) / 3.0f;
      } else {
        for (int c = 0; c < 3; ++c) out.at(x, y, c) = rgb.at(x, y, c);
      }
    }
  return out;
}

// Copies the window of `dst`'s size at (x0, y0) of the RGB image `src` into the planar tile `dst`
// ([1, 3, h, w]); positions past the edge repeat the last row/column (the model's size multiple).
void copy_tile_input(const image::Image& src, int x0, int y0, Tensor& dst) {
  const int h = static_cast<int>(dst.dim(2)), w = static_cast<int>(dst.dim(3));
  float* out = dst.f32();
  const size_t plane = static_cast<size_t>(w) * h;
  for (int y = 0; y < h; ++y) {
    const int sy = std::min(y0 + y, src.height() - 1);
    for (int x = 0; x < w; ++x) {
      const int sx = std::min(x0 + x, src.width() - 1);
      for (int c = 0; c < 3; ++c) out[c * plane + static_cast<size_t>(y) * w + x] = src.at(sx, sy, c);
    }
  }
}

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// Tile sides the memory budget chooses between; below 64 px the overlaps would dominate the work.
constexpr int kMinAutomaticTilePx = 64;
constexpr int kMaxAutomaticTilePx = 1024;

}  // namespace

Result<Precision> parse_precision(const std::string& text) {
  if (text == "auto") return Precision::kAuto;
  if (text == "fp32") return Precision::kF32;
  if (text == "bf16") return Precision::kBF16;
  return invalid_argument("precision: expected auto, fp32 or bf16, got \"" + text + "\"");
}

NeuralUpscaler::NeuralUpscaler(std::string name, std::shared_ptr<const models::UpscaleModel> model,
                               InferenceOptions options)
    : name_(std::move(name)), model_(std::move(model)), options_(std::move(options)) {}

int NeuralUpscaler::initial_tile_px() const {
  const int multiple = std::max(8, model_->size_multiple());
  int tile = options_.tile_px;
  if (tile <= 0) {
    const double budget = std::max(0.0, options_.max_memory_bytes - models::UpscaleModel::kFixedExecutableBytes);
    double pixels = budget / std::max(1.0, model_->bytes_per_input_pixel());
    tile = std::clamp(static_cast<int>(std::sqrt(pixels)), kMinAutomaticTilePx, kMaxAutomaticTilePx);
  }
  return std::max(multiple, tile / multiple * multiple);
}

std::string NeuralUpscaler::memory_notice() const {
  const double smallest = models::UpscaleModel::kFixedExecutableBytes +
                          model_->bytes_per_input_pixel() * kMinAutomaticTilePx * kMinAutomaticTilePx;
  if (options_.tile_px > 0 || options_.max_memory_bytes >= smallest) return "";
  const auto size = [](double bytes) {
    const bool small = bytes < (1 << 20);
    return std::to_string(static_cast<int64_t>(std::ceil(bytes / (small ? 1 << 10 : 1 << 20)))) +
           (small ? " KiB" : " MiB");
  };
  return "the memory budget (" + size(static_cast<double>(options_.max_memory_bytes)) + ") is below the " +
         size(smallest) + " " + name_ + " needs for its smallest tile (" + std::to_string(kMinAutomaticTilePx) +
         " px): it runs " + std::to_string(kMinAutomaticTilePx) + " px tiles, over the budget and slower";
}

Status NeuralUpscaler::ensure_backend() {
  if (backend_) return Status::ok();
  std::string name = options_.backend;
  if (name.empty()) {
    auto names = engine::backend_names();
    name = std::find(names.begin(), names.end(), "cpu") != names.end() ? "cpu" : "reference";
  }
  UPRES_ASSIGN_OR_RETURN(backend_, engine::create_backend(name));
  return Status::ok();
}

Result<DType> NeuralUpscaler::compute_dtype() {
  if (options_.precision == Precision::kF32) return DType::kF32;
  if (options_.precision == Precision::kBF16) return DType::kBF16;
  UPRES_RETURN_IF_ERROR(ensure_backend());
  const bool bf16_fastest = backend_->fastest_compute_dtype() == DType::kBF16;
  const bool bf16_pays = model_->is_faithful_in_bf16() && model_->runs_faster_in_bf16();
  return bf16_fastest && bf16_pays ? DType::kBF16 : DType::kF32;
}

Result<engine::Executable*> NeuralUpscaler::executable_for(const GraphKey& key) {
  if (executable_ && executable_key_ == key) {
    executable_->set_cancel_flag(cancel_flag_);
    return executable_.get();
  }
  executable_.reset();  // free the old arena before planning the new one
  UPRES_RETURN_IF_ERROR(ensure_backend());
  UPRES_ASSIGN_OR_RETURN(engine::Graph graph, key.window ? model_->build_window_graph(key.height, key.width, key.means)
                                                          : model_->build_graph(key.height, key.width));
  engine::PrepareOptions prepare;
  UPRES_ASSIGN_OR_RETURN(prepare.compute_dtype, compute_dtype());
  prepare.winograd = key.winograd;
  prepare.num_threads = options_.num_threads;
  try {
    UPRES_ASSIGN_OR_RETURN(executable_, backend_->prepare(graph, prepare));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory preparing " + name_ + " for a " +
                              std::to_string(key.width) + "x" + std::to_string(key.height) + " tile");
  }
  executable_key_ = key;
  executable_->set_cancel_flag(cancel_flag_);
  return executable_.get();
}

Result<image::Image> NeuralUpscaler::run_tiled(const image::Image& rgb, int tile_px, Progress& progress) {
  const int multiple = std::max(1, model_->size_multiple());
  const int h = rgb.height(), w = rgb.width();
  const int s = model_->scale();
  const int overlap = std::min(options_.overlap_px, tile_px / 3);
  // Tiles cover the size rounded up to the model's multiple; windows past the edge repeat it.
  const TilePlan plan = plan_tiles(round_up(w, multiple), round_up(h, multiple), tile_px, overlap, multiple);
  UPRES_ASSIGN_OR_RETURN(engine::Executable * executable,
                         executable_for({.height = plan.y.input_length, .width = plan.x.input_length,
                                         .winograd = options_.winograd}));
  image::Image output(w * s, h * s, 3);
  UPRES_ASSIGN_OR_RETURN(Tensor tile_in, Tensor::zeros({1, 3, plan.y.input_length, plan.x.input_length}));
  Tensor tile_out;
  const int tile_out_w = plan.x.input_length * s, tile_out_h = plan.y.input_length * s;
  int done = 0;
  for (size_t ty = 0; ty < plan.y.spans.size(); ++ty) {
    for (size_t tx = 0; tx < plan.x.spans.size(); ++tx) {
      if (progress.is_cancelled()) return cancelled("interrupted during " + name_);
      const int x0 = plan.x.spans[tx].input_begin, y0 = plan.y.spans[ty].input_begin;
      copy_tile_input(rgb, x0, y0, tile_in);
      Tensor outputs[1] = {tile_out};
      try {
        UPRES_RETURN_IF_ERROR(executable->run(std::span<const Tensor>(&tile_in, 1), outputs));
      } catch (const std::bad_alloc&) {
        return resource_exhausted("out of memory running " + name_ + " on a tile");
      }
      tile_out = outputs[0];
      // Blend: weights of the tiles covering a pixel sum to 1 per axis, so a weighted sum suffices.
      const int visible_w = std::min(tile_out_w, w * s - x0 * s), visible_h = std::min(tile_out_h, h * s - y0 * s);
      std::vector<float> wx(static_cast<size_t>(visible_w)), wy(static_cast<size_t>(visible_h));
      for (int i = 0; i < visible_w; ++i) wx[i] = plan.x.weight(static_cast<int>(tx), x0 + (i + 0.5) / s);
      for (int i = 0; i < visible_h; ++i) wy[i] = plan.y.weight(static_cast<int>(ty), y0 + (i + 0.5) / s);
      const float* in = tile_out.f32();
      const size_t tile_plane = static_cast<size_t>(tile_out_w) * tile_out_h;
      for (int y = 0; y < visible_h; ++y) {
        if (wy[y] == 0.0f) continue;
        const float* row = in + static_cast<size_t>(y) * tile_out_w;
        float* out = &output.at(x0 * s, y0 * s + y, 0);
        for (int x = 0; x < visible_w; ++x)
          for (int c = 0; c < 3; ++c) out[x * 3 + c] += wy[y] * wx[x] * row[c * tile_plane + x];
      }
      progress.report({name_ + " tile", ++done, plan.tile_count()});
    }
  }
  return output;
}

Result<image::Image> NeuralUpscaler::run_pass(const image::Image& rgb, Progress& progress) {
  const int multiple = std::max(1, model_->size_multiple());
  const std::optional<models::ValidConvTiling> valid = model_->valid_conv_tiling();
  auto run = [&](int tile_px) -> Result<image::Image> {
    // Valid convolutions tile exactly; one tile is the whole-image graph either way.
    if (!valid || !needs_valid_conv_tiles(*valid, rgb.height(), rgb.width(), tile_px)) {
      return run_tiled(rgb, tile_px, progress);
    }
    auto window_executable = [this](int height, int width, const models::GlobalMeanInputs& means) {
      return executable_for(
          {.height = height, .width = width, .window = true, .winograd = options_.winograd, .means = means});
    };
    try {
      return run_valid_conv_tiles(*model_, rgb, tile_px, window_executable, name_ + " tile", progress);
    } catch (const std::bad_alloc&) {
      return resource_exhausted("out of memory running " + name_ + " on a tile");
    }
  };
  // The executable stops between ops once the user interrupts, not only between tiles.
  cancel_flag_ = &progress.cancel_flag();
  int tile_px = initial_tile_px();
  Result<image::Image> result = run(tile_px);
  // Out of memory: halve the tile and start the pass again.
  while (!result.is_ok() && result.status().code() == StatusCode::kResourceExhausted && tile_px > kMinAutomaticTilePx) {
    tile_px = std::max(kMinAutomaticTilePx, tile_px / 2 / multiple * multiple);
    executable_.reset();
    result = run(tile_px);
  }
  cancel_flag_ = nullptr;  // the flag dies with `progress`
  if (executable_) executable_->set_cancel_flag(nullptr);
  last_tile_px_ = tile_px;
  if (!result.is_ok() && result.status().code() == StatusCode::kCancelled)
    return cancelled("interrupted during " + name_);
  return result;
}

Result<image::Image> NeuralUpscaler::upscale(const image::Image& input, int width, int height,
                                             Progress& progress) {
  std::lock_guard lock(mutex_);
  // Full-size buffers are images (interleaved RGB floats): a pass's output becomes the result
  // without a copy, so the peak beyond the output is the input, the tile and its executable.
  image::Image current = input.channels() == 3 ? image::Image() : to_rgb(input);
  // Native-scale passes until the target is covered (at most 3, as the reference UI).
  bool tiled = false;
  for (int pass = 0; pass < 3; ++pass) {
    if (pass > 0 && current.width() >= width && current.height() >= height) break;
    const image::Image& pass_input = current.empty() ? input : current;
    UPRES_ASSIGN_OR_RETURN(image::Image next, run_pass(pass_input, progress));
    tiled = tiled || std::max(pass_input.width(), pass_input.height()) > last_tile_px_;
    const bool same_size = next.width() == pass_input.width() && next.height() == pass_input.height();
    current = std::move(next);
    // A pass that keeps the size (a 1x model: ScuNET) ends the loop, as in the reference UI's
    // Upscaler.upscale; the Lanczos resize below then reaches the target.
    if (same_size) break;
  }
  // A picture bigger than one tile has an output bigger than the arena's share of the memory
  // budget: give the arena back while the caller resizes, restores faces and encodes (the next
  // picture faults it in again, a small cost beside many tiles). A one-tile picture keeps it: the
  // encode then needs less than the pass did, and faulting in an arena sized to the picture again
  // costs about a tenth of its forward pass (page zeroing: 7% of the CPU time of a one-tile
  // R-ESRGAN 4x+ run here), which a batch of same-size pictures would pay each time.
  if (executable_ && tiled) executable_->release_buffers();
  image::Image out = with_channels(std::move(current), input.channels());
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
