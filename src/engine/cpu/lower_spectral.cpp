// Native rfft2 / irfft2 (LaMa's FourierUnit): host steps over plain fp32 [N, C, H, W] planes, OpenMP
// over planes. The FFTs are KISS FFT's header-only C++ template (Debian libkissfft-dev, BSD-3-Clause)
// in double, any length (mixed radix), so no separate rounding path for odd sizes; each thread makes
// its own kissfft objects inside the step (the class keeps a mutable scratch buffer), so nothing is
// shared between threads or runs. Semantics as the reference kernels (reference/spectral.cpp):
// norm="ortho", channel 2c real and 2c+1 imaginary, the inverse reads the W half spectrum as
// Hermitian. The step's state is immutable after lowering: thread-compatible.
#include <kissfft/kissfft.hh>

#include <algorithm>
#include <cmath>
#include <complex>
#include <vector>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using Complex = std::complex<double>;
using Fft = kissfft<double>;

struct PlaneGeometry {
  int64_t planes = 0, height = 0, width = 0, bins = 0;
  double norm = 1.0;
};

PlaneGeometry geometry(int64_t planes, int64_t height, int64_t width) {
  return {planes, height, width, width / 2 + 1, 1.0 / std::sqrt(static_cast<double>(height * width))};
}

// x [height, width] real -> re, im [height, bins].
void forward_plane(const PlaneGeometry& g, const Fft& row_fft, const Fft& column_fft, const float* x, float* re,
                   float* im, std::vector<Complex>& line, std::vector<Complex>& transformed,
                   std::vector<Complex>& half) {
  for (int64_t h = 0; h < g.height; ++h) {
    for (int64_t w = 0; w < g.width; ++w) line[static_cast<size_t>(w)] = Complex(x[h * g.width + w], 0.0);
    row_fft.transform(line.data(), transformed.data());
    for (int64_t k = 0; k < g.bins; ++k) half[static_cast<size_t>(h * g.bins + k)] = transformed[static_cast<size_t>(k)];
  }
  for (int64_t k = 0; k < g.bins; ++k) {
    for (int64_t h = 0; h < g.height; ++h) line[static_cast<size_t>(h)] = half[static_cast<size_t>(h * g.bins + k)];
    column_fft.transform(line.data(), transformed.data());
    for (int64_t u = 0; u < g.height; ++u) {
      re[u * g.bins + k] = static_cast<float>(transformed[static_cast<size_t>(u)].real() * g.norm);
      im[u * g.bins + k] = static_cast<float>(transformed[static_cast<size_t>(u)].imag() * g.norm);
    }
  }
}

// re, im [height, bins] -> y [height, width] real.
void inverse_plane(const PlaneGeometry& g, const Fft& row_fft, const Fft& column_fft, const float* re,
                   const float* im, float* y, std::vector<Complex>& line, std::vector<Complex>& transformed,
                   std::vector<Complex>& half) {
  for (int64_t k = 0; k < g.bins; ++k) {
    for (int64_t u = 0; u < g.height; ++u) line[static_cast<size_t>(u)] = Complex(re[u * g.bins + k], im[u * g.bins + k]);
    column_fft.transform(line.data(), transformed.data());
    for (int64_t h = 0; h < g.height; ++h) half[static_cast<size_t>(h * g.bins + k)] = transformed[static_cast<size_t>(h)];
  }
  for (int64_t h = 0; h < g.height; ++h) {
    const Complex* row = half.data() + h * g.bins;
    for (int64_t k = 0; k < g.width; ++k) {
      line[static_cast<size_t>(k)] = k < g.bins ? row[k] : std::conj(row[g.width - k]);
    }
    row_fft.transform(line.data(), transformed.data());
    for (int64_t w = 0; w < g.width; ++w) y[h * g.width + w] = static_cast<float>(transformed[static_cast<size_t>(w)].real() * g.norm);
  }
}

void run_planes(const PlaneGeometry& g, bool inverse, const float* src, float* dst) {
  const int64_t spectrum_plane = g.height * g.bins, image_plane = g.height * g.width;
#pragma omp parallel
  {
    const Fft row_fft(static_cast<size_t>(g.width), inverse), column_fft(static_cast<size_t>(g.height), inverse);
    const size_t longest = static_cast<size_t>(std::max(g.width, g.height));
    std::vector<Complex> line(longest), transformed(longest), half(static_cast<size_t>(spectrum_plane));
#pragma omp for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
      if (inverse) {
        const float* re = src + 2 * p * spectrum_plane;
        inverse_plane(g, row_fft, column_fft, re, re + spectrum_plane, dst + p * image_plane, line, transformed, half);
      } else {
        float* re = dst + 2 * p * spectrum_plane;
        forward_plane(g, row_fft, column_fft, src + p * image_plane, re, re + spectrum_plane, line, transformed, half);
      }
    }
  }
}

}  // namespace

Status lower_spectral(ExecutionPlan& plan, const Node& node) {
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  const bool inverse = node.kind == OpKind::kIrfft2;
  const Shape& image = inverse ? out : in;
  const PlaneGeometry g = geometry(image[0] * image[1], image[2], image[3]);
  const dnnl::memory::data_type f32 = dnnl::memory::data_type::f32;
  const dnnl::memory src = plan.input_as(node.inputs[0], plain_desc(in, f32));
  plan.set_desc(node.output, plain_desc(out, f32));
  const dnnl::memory dst = plan.memory_of(node.output);
  plan.add_host([src, dst, g, inverse]() {
    run_planes(g, inverse, static_cast<const float*>(src.get_data_handle()), static_cast<float*>(dst.get_data_handle()));
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
