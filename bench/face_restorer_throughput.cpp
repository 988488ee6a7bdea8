// face_restorer_throughput: seconds per 512x512 face for a GFPGAN or CodeFormer weight file, the
// restorer alone (no detection or paste-back), best of N runs after one warm-up.
// Usage: face_restorer_throughput MODEL.pth [RUNS=3] [BACKEND=cpu] [WEIGHT=0.5] [PRECISION=fp32|bf16]
//                                 [OUTPUT.f32]
// Prints one line: "<architecture> <seconds per face>"; a precision the backend cannot run (bf16
// without avx512_bf16) is an error on stderr and exit 1. OUTPUT.f32, when given, receives the last
// restored face as raw little-endian float32 [1, 3, S, S] in [0, 1] (for fidelity checks between
// precisions). Driven by bench/face_restorers_vs_torch.py and bench/cpu_classes.py.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/face_restorer.h"

namespace {

bool write_f32(const char* path, const std::vector<float>& values) {
  std::FILE* file = std::fopen(path, "wb");
  if (file == nullptr) return false;
  const bool written = std::fwrite(values.data(), sizeof(float), values.size(), file) == values.size();
  return std::fclose(file) == 0 && written;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace upres;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.pth [RUNS] [BACKEND] [WEIGHT] [PRECISION=fp32|bf16] [OUTPUT.f32]\n",
                 argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  models::FaceRestoreOptions options;
  if (argc > 3) options.backend = argv[3];
  if (argc > 4) options.fidelity_weight = static_cast<float>(std::atof(argv[4]));
  const std::string precision = argc > 5 ? argv[5] : "fp32";
  if (precision != "fp32" && precision != "bf16") {
    std::fprintf(stderr, "unknown precision '%s' (fp32, bf16)\n", precision.c_str());
    return 2;
  }
  options.compute_dtype = precision == "bf16" ? DType::kBF16 : DType::kF32;
  auto restorer = models::load_face_restorer(argv[1]);
  if (!restorer.is_ok()) {
    std::fprintf(stderr, "%s\n", restorer.status().to_string().c_str());
    return 1;
  }
  const int size = (*restorer)->face_size();
  std::vector<float> pixels(static_cast<size_t>(3) * size * size);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;
  auto face = engine::Tensor::from_f32(pixels, {1, 3, size, size});
  if (!face.is_ok()) return 1;
  double best = 1e300;
  std::vector<float> restored;
  for (int i = 0; i <= runs; ++i) {  // run 0 compiles and warms up
    const auto start = std::chrono::steady_clock::now();
    auto out = (*restorer)->restore(*face, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!out.is_ok()) {
      std::fprintf(stderr, "%s\n", out.status().to_string().c_str());
      return 1;
    }
    if (i > 0) best = std::min(best, seconds);
    if (i == runs && argc > 6) restored = out->to_f32();
  }
  if (argc > 6 && !write_f32(argv[6], restored)) {
    std::fprintf(stderr, "cannot write %s\n", argv[6]);
    return 1;
  }
  std::printf("%s %.4f\n", (*restorer)->architecture().c_str(), best);
  return 0;
}
