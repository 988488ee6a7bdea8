#include "cli/ncnn_compat/ncnn_picture_upscaler.h"

#include <algorithm>
#include <cmath>

#include "cli/ncnn_compat/ncnn_resampling.h"
#include "image/resample.h"

namespace upres::cli::ncnn_compat {
namespace {

// The colour of `input` as RGB (grey repeated), as stb_image's 3-channel load gives it.
image::Image colour_of(const image::Image& input) {
  const int grey = input.color_channels() == 1;
  image::Image rgb(input.width(), input.height(), 3);
  for (int y = 0; y < input.height(); ++y)
    for (int x = 0; x < input.width(); ++x)
      for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = input.at(x, y, grey ? 0 : c);
  return rgb;
}

image::Image alpha_of(const image::Image& input) {
  image::Image alpha(input.width(), input.height(), 1);
  for (int y = 0; y < input.height(); ++y)
    for (int x = 0; x < input.width(); ++x) alpha.at(x, y, 0) = input.at(x, y, input.channels() - 1);
  return alpha;
}

// Rounds every sample to the 8-bit level the tools store between and after passes.
void quantize_to_8_bits(image::Image& image) {
  float* samples = image.pixels();
  for (size_t i = 0; i < image.sample_count(); ++i)
    samples[i] = std::round(std::clamp(samples[i], 0.0f, 1.0f) * 255.0f) / 255.0f;
}

}  // namespace

NcnnPictureUpscaler::NcnnPictureUpscaler(std::shared_ptr<pipeline::NeuralUpscaler> network, NcnnModelFiles files,
                                         NcnnToolOptions options)
    : network_(std::move(network)), files_(std::move(files)), options_(std::move(options)) {}

Result<image::Image> NcnnPictureUpscaler::run_colour_pass(const image::Image& rgb, int run_index, int run_count,
                                                          const FractionListener& on_fraction) {
  const int pad = files_.host_padding_px;
  const image::Image padded = pad > 0 ? reflect_pad(rgb, pad) : rgb;
  const int variants = options_.tta ? 8 : 1;
  image::Image sum;
  for (int v = 0; v < variants; ++v) {
    const int run = run_index * variants + v, runs = run_count * variants;
    pipeline::Progress progress([&](const pipeline::ProgressEvent& event) {
      if (event.total > 0 && event.done < event.total)
        on_fraction((run + static_cast<double>(event.done) / event.total) / runs);
    });
    on_fraction(static_cast<double>(run) / runs);
    const image::Image variant_input = options_.tta ? dihedral_transform(padded, v) : padded;
    UPRES_ASSIGN_OR_RETURN(image::Image out, network_->run_pass(variant_input, progress));
    if (options_.tta) out = inverse_dihedral_transform(out, v);
    if (sum.empty()) {
      sum = std::move(out);
    } else {
      for (size_t i = 0; i < sum.sample_count(); ++i) sum.pixels()[i] += out.pixels()[i];
    }
  }
  if (variants > 1)
    for (size_t i = 0; i < sum.sample_count(); ++i) sum.pixels()[i] /= variants;
  image::Image result = pad > 0 ? crop_border(sum, pad * network_->native_scale()) : std::move(sum);
  float* samples = result.pixels();
  for (size_t i = 0; i < result.sample_count(); ++i) samples[i] = std::clamp(samples[i], 0.0f, 1.0f);
  return result;
}

std::pair<int, int> NcnnPictureUpscaler::final_size(int width, int height, int reached) const {
  if (options_.tool == NcnnTool::kUpscayl) {
    if (options_.output_scale) return {width * *options_.output_scale, height * *options_.output_scale};
    if (options_.resize) return *options_.resize;
    if (options_.custom_width) return {*options_.custom_width, height * *options_.custom_width / width};
    return {width * reached, height * reached};
  }
  if (options_.tool == NcnnTool::kWaifu2x) return {width * reached, height * reached};
  return {width * options_.scale, height * options_.scale};
}

Result<image::Image> NcnnPictureUpscaler::upscale(const image::Image& input, const FractionListener& on_fraction) {
  image::Image colour = colour_of(input);
  std::optional<image::Image> alpha;
  if (input.has_alpha()) alpha = alpha_of(input);
  const int model_scale = network_->native_scale();
  int reached = 1;
  for (int pass = 0; pass < files_.passes; ++pass) {
    UPRES_ASSIGN_OR_RETURN(colour, run_colour_pass(colour, pass, files_.passes, on_fraction));
    quantize_to_8_bits(colour);
    if (alpha) {
      *alpha = ncnn_bicubic_upscale(*alpha, model_scale);
      quantize_to_8_bits(*alpha);
    }
    reached *= model_scale;
  }
  image::Image out(colour.width(), colour.height(), alpha ? 4 : 3);
  for (int y = 0; y < out.height(); ++y)
    for (int x = 0; x < out.width(); ++x) {
      for (int c = 0; c < 3; ++c) out.at(x, y, c) = colour.at(x, y, c);
      if (alpha) out.at(x, y, 3) = alpha->at(x, y, 0);
    }
  const auto [width, height] = final_size(input.width(), input.height(), reached);
  if (width != out.width() || height != out.height()) {
    // upscayl-bin resizes its finished picture with stb; the others' model ran at another scale.
    out = options_.tool == NcnnTool::kUpscayl ? srgb_aware_resize(out, width, height)
                                              : image::resize(out, width, height, image::ResampleFilter::kBicubic);
    quantize_to_8_bits(out);
  }
  out.metadata = {};
  out.metadata.bits_per_sample = 8;
  return out;
}

}  // namespace upres::cli::ncnn_compat
