// rfft2 / irfft2 on every backend against a direct 2-D DFT written here (not the separable form
// the kernels use), the round trip, odd and prime sizes, and the shape checks. The PyTorch
// fixtures (tests/reference/engine_ops.py) pin the layout and the c2r reading of a non-Hermitian
// spectrum; this file covers sizes those cases do not.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "engine/backend_registry.h"
#include "engine/graph.h"

namespace upres::engine {
namespace {

Tensor random_tensor(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = normal(rng);
  return *Tensor::from_f32(values, shape);
}

Result<Tensor> run_graph(const std::string& backend_name, Graph& graph, const Tensor& input) {
  UPRES_RETURN_IF_ERROR(graph.status());
  UPRES_ASSIGN_OR_RETURN(auto backend, create_backend(backend_name));
  UPRES_ASSIGN_OR_RETURN(auto exe, backend->prepare(graph, {}));
  std::vector<Tensor> outputs(1);
  UPRES_RETURN_IF_ERROR(exe->run({&input, 1}, outputs));
  return Tensor::from_f32(outputs[0].to_f32(), outputs[0].shape());
}

// rfftn(x, dim=(-2, -1), norm="ortho") of one plane, by the 2-D definition, bin (u, k).
std::complex<double> direct_dft(const float* plane, int64_t height, int64_t width, int64_t u, int64_t k) {
  std::complex<double> sum = 0.0;
  for (int64_t h = 0; h < height; ++h) {
    for (int64_t w = 0; w < width; ++w) {
      const double angle = -2.0 * std::numbers::pi * (static_cast<double>(u * h % height) / height +
                                                      static_cast<double>(k * w % width) / width);
      sum += static_cast<double>(plane[h * width + w]) * std::polar(1.0, angle);
    }
  }
  return sum / std::sqrt(static_cast<double>(height * width));
}

const Shape kShapes[] = {{1, 1, 1, 1}, {1, 2, 1, 6}, {1, 1, 5, 7}, {2, 3, 8, 6}, {1, 2, 9, 13}, {1, 1, 17, 32}};

TEST(FftOpsTest, Rfft2MatchesDirectDftOnEveryBackend) {
  for (const std::string& name : backend_names()) {
    for (const Shape& shape : kShapes) {
      SCOPED_TRACE(name + " " + shape_to_string(shape));
      const Tensor x = random_tensor(shape, 7);
      Graph graph;
      graph.mark_output(graph.rfft2(graph.input("x", shape)));
      auto spectrum = run_graph(name, graph, x);
      ASSERT_TRUE(spectrum.is_ok()) << spectrum.status().to_string();
      const int64_t height = shape[2], width = shape[3], bins = width / 2 + 1;
      ASSERT_EQ(spectrum->shape(), (Shape{shape[0], 2 * shape[1], height, bins}));
      double worst = 0.0;
      for (int64_t p = 0; p < shape[0] * shape[1]; ++p) {
        const float* re = spectrum->f32() + 2 * p * height * bins;
        const float* im = re + height * bins;
        for (int64_t u = 0; u < height; ++u) {
          for (int64_t k = 0; k < bins; ++k) {
            const auto expected = direct_dft(x.f32() + p * height * width, height, width, u, k);
            worst = std::max({worst, std::abs(re[u * bins + k] - expected.real()),
                              std::abs(im[u * bins + k] - expected.imag())});
          }
        }
      }
      EXPECT_LE(worst, 2e-5);
    }
  }
}

TEST(FftOpsTest, Irfft2InvertsRfft2OnEveryBackend) {
  for (const std::string& name : backend_names()) {
    for (const Shape& shape : kShapes) {
      SCOPED_TRACE(name + " " + shape_to_string(shape));
      const Tensor x = random_tensor(shape, 11);
      Graph graph;
      graph.mark_output(graph.irfft2(graph.rfft2(graph.input("x", shape)), shape[3]));
      auto round_trip = run_graph(name, graph, x);
      ASSERT_TRUE(round_trip.is_ok()) << round_trip.status().to_string();
      ASSERT_EQ(round_trip->shape(), shape);
      double worst = 0.0;
      for (int64_t i = 0; i < x.numel(); ++i) worst = std::max(worst, static_cast<double>(std::abs(round_trip->f32()[i] - x.f32()[i])));
      EXPECT_LE(worst, 1e-5);
    }
  }
}

// LaMa's feature maps (64 px at 512 in, 192 channels in big-lama): the FFT path against the naive one.
TEST(FftOpsTest, BackendsAgreeOnLamaSizedSpectra) {
  const Shape shape{1, 6, 64, 66};
  const Tensor x = random_tensor(shape, 3);
  std::vector<Tensor> results;
  for (const std::string& name : backend_names()) {
    Graph graph;
    Value spectrum = graph.rfft2(graph.input("x", shape));
    graph.mark_output(graph.irfft2(graph.relu(spectrum), shape[3]));
    auto y = run_graph(name, graph, x);
    ASSERT_TRUE(y.is_ok()) << name << ": " << y.status().to_string();
    results.push_back(std::move(*y));
  }
  for (size_t b = 1; b < results.size(); ++b) {
    double worst = 0.0;
    for (int64_t i = 0; i < results[0].numel(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(results[b].f32()[i] - results[0].f32()[i])));
    }
    EXPECT_LE(worst, 1e-5) << backend_names()[b];
  }
}

TEST(FftOpsTest, RejectsBadShapes) {
  Graph rank3;
  rank3.rfft2(rank3.input("x", {2, 8, 8}));
  EXPECT_FALSE(rank3.status().is_ok());
  Graph width_mismatch;  // 5 frequency columns come from width 8 or 9, never 10
  width_mismatch.irfft2(width_mismatch.input("x", {1, 2, 4, 5}), 10);
  EXPECT_FALSE(width_mismatch.status().is_ok());
  Graph odd_channels;  // real/imag pairs
  odd_channels.irfft2(odd_channels.input("x", {1, 3, 4, 5}), 8);
  EXPECT_FALSE(odd_channels.status().is_ok());
  Graph odd_width;
  odd_width.irfft2(odd_width.input("x", {1, 2, 4, 5}), 9);
  EXPECT_TRUE(odd_width.status().is_ok()) << odd_width.status().to_string();
}

}  // namespace
}  // namespace upres::engine
