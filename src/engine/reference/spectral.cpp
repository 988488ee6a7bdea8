// Spectral kernels: rfft2 / irfft2 as naive separable DFTs in double (torch.fft.rfftn and irfftn
// over the last two dims, norm="ortho"), the oracle for the cpu backend's FFT. The complex planes
// are stored as LaMa's FourierUnit stores them: channel 2c the real part, 2c+1 the imaginary part.
// The inverse follows pocketfft's c2r (what torch runs): an inverse complex DFT over H, then a
// real-output DFT over W that reads the half spectrum as Hermitian (the imaginary parts of the
// bins that must be real, 0 and W/2, do not contribute).
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {
namespace {

using Complex = std::complex<double>;

// exp(sign * 2 pi i * m / n) for m in [0, n): exact index arithmetic keeps the angle small.
std::vector<Complex> unit_roots(int64_t n, double sign) {
  std::vector<Complex> roots(static_cast<size_t>(n));
  for (int64_t m = 0; m < n; ++m) roots[static_cast<size_t>(m)] = std::polar(1.0, sign * 2.0 * std::numbers::pi * m / n);
  return roots;
}

}  // namespace

Status rfft2(const KernelArgs& args) {
  const Shape& in = args.input_shapes[0];
  const int64_t planes = in[0] * in[1], height = in[2], width = in[3], bins = width / 2 + 1;
  const std::vector<Complex> row_roots = unit_roots(width, -1.0), column_roots = unit_roots(height, -1.0);
  const double norm = 1.0 / std::sqrt(static_cast<double>(height * width));
  std::vector<Complex> rows(static_cast<size_t>(height * bins));
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = args.inputs[0] + p * height * width;
    for (int64_t h = 0; h < height; ++h) {
      for (int64_t k = 0; k < bins; ++k) {
        Complex sum = 0.0;
        for (int64_t w = 0; w < width; ++w) sum += static_cast<double>(x[h * width + w]) * row_roots[static_cast<size_t>(k * w % width)];
        rows[static_cast<size_t>(h * bins + k)] = sum;
      }
    }
    float* re = args.output + 2 * p * height * bins;
    float* im = re + height * bins;
    for (int64_t u = 0; u < height; ++u) {
      for (int64_t k = 0; k < bins; ++k) {
        Complex sum = 0.0;
        for (int64_t h = 0; h < height; ++h) sum += rows[static_cast<size_t>(h * bins + k)] * column_roots[static_cast<size_t>(u * h % height)];
        re[u * bins + k] = static_cast<float>(sum.real() * norm);
        im[u * bins + k] = static_cast<float>(sum.imag() * norm);
      }
    }
  }
  return Status::ok();
}

Status irfft2(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const Irfft2Attrs* attrs, attrs_of<Irfft2Attrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const int64_t planes = in[0] * in[1] / 2, height = in[2], bins = in[3], width = attrs->width;
  const std::vector<Complex> row_roots = unit_roots(width, 1.0), column_roots = unit_roots(height, 1.0);
  const double norm = 1.0 / std::sqrt(static_cast<double>(height * width));
  std::vector<Complex> columns(static_cast<size_t>(height * bins)), full_row(static_cast<size_t>(width));
  for (int64_t p = 0; p < planes; ++p) {
    const float* re = args.inputs[0] + 2 * p * height * bins;
    const float* im = re + height * bins;
    for (int64_t h = 0; h < height; ++h) {
      for (int64_t k = 0; k < bins; ++k) {
        Complex sum = 0.0;
        for (int64_t u = 0; u < height; ++u) {
          sum += Complex(re[u * bins + k], im[u * bins + k]) * column_roots[static_cast<size_t>(u * h % height)];
        }
        columns[static_cast<size_t>(h * bins + k)] = sum;
      }
    }
    float* y = args.output + p * height * width;
    for (int64_t h = 0; h < height; ++h) {
      for (int64_t k = 0; k < width; ++k) {
        full_row[static_cast<size_t>(k)] = k < bins ? columns[static_cast<size_t>(h * bins + k)]
                                                    : std::conj(columns[static_cast<size_t>(h * bins + width - k)]);
      }
      for (int64_t w = 0; w < width; ++w) {
        double sum = 0.0;
        for (int64_t k = 0; k < width; ++k) sum += (full_row[static_cast<size_t>(k)] * row_roots[static_cast<size_t>(k * w % width)]).real();
        y[h * width + w] = static_cast<float>(sum * norm);
      }
    }
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
