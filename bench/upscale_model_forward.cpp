// upscale_model_forward: forward seconds of one upscale model file on a random S x S RGB input,
// through NeuralUpscaler::run_pass with one tile covering the whole input (what `upres upscale`
// runs, without process start, model loading or the image codec), fp32 and/or bf16; one warm-up
// (it compiles the executable) then best of RUNS. Conv GFLOP/s are counted from the model's graph
// and given as a fraction of the fp32 FMA peak measured in the same process just before.
// Usage: upscale_model_forward MODEL SIZE_PX [RUNS=3] [PRECISIONS=fp32,bf16 (also auto, fp32-direct)] [BACKEND=cpu]
// PRECISIONS: fp32, bf16, fp32-direct (fp32 without Winograd convolutions: the baseline for them).
// Threads from OMP_NUM_THREADS. Prints one line per precision:
//   "<precision> <seconds> <conv GFLOP per run> <GFLOP/s> <% of fp32 peak>"  (or "<precision> unsupported ...")
// after a "# ..." line naming the model and the peak, and "# ..." lines comparing the outputs of
// fp32 (Winograd) and bf16 with fp32-direct when it ran. Driven by bench/network_vs_torch.py.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "models/upscale_model.h"
#include "peak_flops.h"
#include "pipeline/neural_upscaler.h"

namespace {

using namespace upres;

// 2 * Cout * Cin/groups * kh * kw * Hout * Wout per convolution (transposed: per input pixel).
double conv_flop(const engine::Graph& graph) {
  double flop = 0.0;
  for (const engine::Node& node : graph.nodes()) {
    if (node.constants.empty()) continue;
    const double weight_numel = static_cast<double>(node.constants[0].numel());
    if (node.kind == engine::OpKind::kConv2d) {
      const engine::Shape& out = graph.shape(node.output);  // [n, Cout, Hout, Wout]
      flop += 2.0 * weight_numel * out[0] * out[2] * out[3];
    } else if (node.kind == engine::OpKind::kConvTranspose2d) {
      const engine::Shape& in = graph.shape(node.inputs[0]);  // [n, Cin, Hin, Win]
      flop += 2.0 * weight_numel * in[0] * in[2] * in[3];
    }
  }
  return flop;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) parts.push_back(part);
  return parts;
}

struct Pass {
  double best_seconds = 1e300;
  image::Image output;
};

// Best-of-`runs` seconds of run_pass after a warm-up and the last output, or the error.
Result<Pass> best_pass(pipeline::NeuralUpscaler& upscaler, const image::Image& input, int runs) {
  pipeline::Progress progress;
  Pass pass;
  for (int run = 0; run <= runs; ++run) {  // run 0 compiles and warms up
    const auto start = std::chrono::steady_clock::now();
    UPRES_ASSIGN_OR_RETURN(pass.output, upscaler.run_pass(input, progress));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) pass.best_seconds = std::min(pass.best_seconds, seconds);
  }
  if (upscaler.last_tile_px() < input.width()) return invalid_argument("the input did not fit in one tile");
  return pass;
}

// "max |a - b|, PSNR" of two outputs on the [0, 1] scale, each clamped to it as when saved.
void print_difference(const char* what, const image::Image& a, const image::Image& b) {
  double max_diff = 0.0, squares = 0.0;
  for (size_t i = 0; i < a.sample_count(); ++i) {
    const double d = std::clamp(a.pixels()[i], 0.0f, 1.0f) - std::clamp(b.pixels()[i], 0.0f, 1.0f);
    max_diff = std::max(max_diff, std::abs(d));
    squares += d * d;
  }
  const double mse = squares / static_cast<double>(std::max<size_t>(1, a.sample_count()));
  std::printf("# %s: max |diff| %.2e (%.2f/255), PSNR %.1f dB\n", what, max_diff, max_diff * 255.0,
              mse > 0.0 ? 10.0 * std::log10(1.0 / mse) : 999.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL SIZE_PX [RUNS=3] [PRECISIONS=fp32,bf16 (also auto, fp32-direct)] [BACKEND=cpu]\n", argv[0]);
    return 2;
  }
  const int size = std::atoi(argv[2]);
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  const std::vector<std::string> precisions = split_commas(argc > 4 ? argv[4] : "fp32,bf16");
  const std::string backend = argc > 5 ? argv[5] : "cpu";
  const char* env = std::getenv("OMP_NUM_THREADS");
  const int threads = env ? std::max(1, std::atoi(env)) : 1;

  auto model = models::load_upscale_model(argv[1]);
  if (!model.is_ok()) return std::fprintf(stderr, "%s\n", model.status().to_string().c_str()), 1;
  // One tile covers the input: the FLOP count is that of one graph at the (padded) input size
  // (valid-convolution models such as Real-CUGAN also compute their context border; not counted).
  const int multiple = std::max(8, (*model)->size_multiple());
  const int tile_px = (size + multiple - 1) / multiple * multiple;
  auto graph = (*model)->build_graph(tile_px, tile_px);
  if (!graph.is_ok()) return std::fprintf(stderr, "%s\n", graph.status().to_string().c_str()), 1;
  const double flop = conv_flop(*graph);

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  image::Image input(size, size, 3);
  for (size_t i = 0; i < input.sample_count(); ++i) input.pixels()[i] = dist(rng);

  const double peak = bench::measured_peak_gflops(false, threads);
  std::printf("# %s x%d, %dx%d, %d thread(s): %.2f conv GFLOP per run; fp32 FMA peak %.1f GFLOP/s\n",
              (*model)->architecture().c_str(), (*model)->scale(), size, size, threads, flop * 1e-9, peak);
  std::map<std::string, image::Image> outputs;
  for (const std::string& precision : precisions) {
    const bool direct = precision == "fp32-direct";
    auto parsed = pipeline::parse_precision(direct ? "fp32" : precision);
    if (!parsed.is_ok()) {
      return std::fprintf(stderr, "unknown precision '%s' (fp32, bf16, auto, fp32-direct)\n", precision.c_str()), 2;
    }
    pipeline::InferenceOptions options;
    options.backend = backend;
    options.precision = parsed.value();
    options.winograd = !direct;
    options.tile_px = tile_px;
    pipeline::NeuralUpscaler upscaler("bench", *model, options);
    if (precision == "auto") {
      auto dtype = upscaler.compute_dtype();
      if (dtype.is_ok()) std::printf("# auto runs %s\n", std::string(dtype_name(dtype.value())).c_str());
    }
    auto pass = best_pass(upscaler, input, runs);
    if (!pass.is_ok()) {
      std::printf("%s unsupported %s\n", precision.c_str(), pass.status().to_string().c_str());
      continue;
    }
    const double gflops = flop / pass->best_seconds * 1e-9;
    std::printf("%s %.4f %.3f %.1f %.1f\n", precision.c_str(), pass->best_seconds, flop * 1e-9, gflops,
                100.0 * gflops / peak);
    outputs[precision] = std::move(pass->output);
  }
  if (outputs.count("fp32-direct") != 0) {
    for (const char* other : {"fp32", "bf16", "auto"}) {
      if (outputs.count(other) == 0) continue;
      print_difference((std::string(other) + " vs fp32-direct").c_str(), outputs[other], outputs["fp32-direct"]);
    }
  }
  return 0;
}
