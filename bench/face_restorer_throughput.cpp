// face_restorer_throughput: seconds per 512x512 face for a GFPGAN or CodeFormer weight file, the
// restorer alone (no detection or paste-back), best of N runs after one warm-up.
// Usage: face_restorer_throughput MODEL.pth [RUNS=3] [BACKEND=cpu] [WEIGHT=0.5]
// Prints one line: "<architecture> <seconds per face>". Driven by bench/face_restorers_vs_torch.py.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/face_restorer.h"

int main(int argc, char** argv) {
  using namespace upres;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.pth [RUNS] [BACKEND] [WEIGHT]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  models::FaceRestoreOptions options;
  if (argc > 3) options.backend = argv[3];
  if (argc > 4) options.fidelity_weight = static_cast<float>(std::atof(argv[4]));
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
  for (int i = 0; i <= runs; ++i) {  // run 0 compiles and warms up
    const auto start = std::chrono::steady_clock::now();
    auto out = (*restorer)->restore(*face, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!out.is_ok()) {
      std::fprintf(stderr, "%s\n", out.status().to_string().c_str());
      return 1;
    }
    if (i > 0) best = std::min(best, seconds);
  }
  std::printf("%s %.4f\n", (*restorer)->architecture().c_str(), best);
  return 0;
}
