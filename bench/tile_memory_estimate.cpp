// tile_memory_estimate: what upres's tile sizing believes about one upscale model file, for
// bench/transformer_peak_memory.py to set beside the peak RSS it measures. Prints JSON lines:
//   {"architecture", "scale", "size_multiple", "bytes_per_input_pixel", "fixed_bytes"}  (the model)
//   per budget:  {"budget", "default_tile", ...}  the tile `upres upscale --max-memory BUDGET` picks
//                (NeuralUpscaler::run_pass on a small picture, then last_tile_px(): the real code)
//   per tile:    {"tile", ...}                    an explicit `--tile TILE` (TILE:SIDE: on a SIDE x SIDE
//                                                picture rather than SIZE x SIZE)
// and for each of those, on a SIZE x SIZE picture with the CLI's default overlap, the tile input
// the planner really runs ("run_tile", TilePlan), how many ("tiles"), the model's own estimate for
// that executable ("estimate_bytes" = fixed_bytes + bytes_per_input_pixel x its pixels) and the
// arena the backend plans for it ("arena_bytes", fp32; null for valid-convolution models, whose
// tiles are planned elsewhere).
// Usage: tile_memory_estimate MODEL SIZE_PX BUDGETS TILES [BACKEND=cpu]
//   BUDGETS: comma list as --max-memory takes them (512M, 4G); TILES: comma list of --tile values.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "models/upscale_model.h"
#include "pipeline/neural_upscaler.h"
#include "pipeline/tile_plan.h"

namespace {

using namespace upres;

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

// --max-memory's units (src/cli/upscale_command.cpp parse_bytes): K = 1e3, M = 2^20, G = 2^30.
int64_t parse_budget(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit = end ? std::string(end) : "";
  const double multiplier = unit.empty() ? 1 : unit == "K" ? 1e3 : unit == "M" ? 1 << 20 : unit == "G" ? 1 << 30 : -1;
  return multiplier < 0 || value <= 0 ? -1 : static_cast<int64_t>(value * multiplier);
}

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// The default tile for `budget`: what run_pass settles on (no out-of-memory halving on a picture
// this small), found by running it once on a 64 x 64 picture.
int default_tile(const std::shared_ptr<const models::UpscaleModel>& model, int64_t budget, const std::string& backend) {
  pipeline::InferenceOptions options;
  options.backend = backend;
  options.precision = pipeline::Precision::kF32;
  options.max_memory_bytes = budget;
  pipeline::NeuralUpscaler upscaler("estimate", model, options);
  image::Image small(64, 64, 3);
  pipeline::Progress progress;
  auto pass = upscaler.run_pass(small, progress);
  if (!pass.is_ok()) {
    std::fprintf(stderr, "run_pass: %s\n", pass.status().to_string().c_str());
    std::exit(1);
  }
  return upscaler.last_tile_px();
}

// The tile input the planner runs for `tile_px` on a size x size picture, its count, the model's
// estimate for it and the planned arena.
void print_run(const models::UpscaleModel& model, engine::Backend& backend, int size, int tile_px) {
  const int multiple = std::max(1, model.size_multiple());
  const int overlap = std::min(pipeline::InferenceOptions{}.overlap_px, tile_px / 3);
  const pipeline::TilePlan plan =
      pipeline::plan_tiles(round_up(size, multiple), round_up(size, multiple), tile_px, overlap, multiple);
  const int w = plan.x.input_length, h = plan.y.input_length;
  const double estimate = models::UpscaleModel::kFixedExecutableBytes + model.bytes_per_input_pixel() * w * h;
  std::string arena = "null";
  if (!model.valid_conv_tiling()) {
    auto graph = model.build_graph(h, w);
    if (!graph.is_ok()) {
      std::fprintf(stderr, "build_graph %dx%d: %s\n", w, h, graph.status().to_string().c_str());
      std::exit(1);
    }
    auto executable = backend.prepare(*graph, engine::PrepareOptions{});
    if (!executable.is_ok()) {
      std::fprintf(stderr, "prepare %dx%d: %s\n", w, h, executable.status().to_string().c_str());
      std::exit(1);
    }
    arena = std::to_string((*executable)->arena_bytes());
  }
  std::printf("\"run_tile\": [%d, %d], \"tiles\": %zu, \"estimate_bytes\": %.0f, \"arena_bytes\": %s}\n", w, h,
              plan.x.spans.size() * plan.y.spans.size(), estimate, arena.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL SIZE_PX BUDGETS TILES [BACKEND=cpu]\n", argv[0]);
    return 2;
  }
  const int size = std::atoi(argv[2]);
  const std::string backend_name = argc > 5 ? argv[5] : "cpu";
  if (size < 1) return std::fprintf(stderr, "SIZE_PX must be positive\n"), 2;
  auto model = models::load_upscale_model(argv[1]);
  if (!model.is_ok()) return std::fprintf(stderr, "%s\n", model.status().to_string().c_str()), 1;
  auto backend = engine::create_backend(backend_name);
  if (!backend.is_ok()) return std::fprintf(stderr, "%s\n", backend.status().to_string().c_str()), 1;
  std::printf("{\"architecture\": \"%s\", \"scale\": %d, \"size_multiple\": %d, \"bytes_per_input_pixel\": %.1f, "
              "\"fixed_bytes\": %.0f}\n",
              (*model)->architecture().c_str(), (*model)->scale(), (*model)->size_multiple(),
              (*model)->bytes_per_input_pixel(), models::UpscaleModel::kFixedExecutableBytes);
  for (const std::string& text : split_commas(argv[3])) {
    const int64_t budget = parse_budget(text);
    if (budget < 0) return std::fprintf(stderr, "bad budget '%s' (512M, 4G, ...)\n", text.c_str()), 2;
    const int tile = default_tile(*model, budget, backend_name);
    std::printf("{\"budget\": \"%s\", \"budget_bytes\": %lld, \"default_tile\": %d, ", text.c_str(),
                static_cast<long long>(budget), tile);
    print_run(**model, **backend, size, tile);
  }
  for (const std::string& text : split_commas(argv[4])) {
    const int asked = std::atoi(text.c_str());
    const size_t colon = text.find(':');
    const int side = colon == std::string::npos ? size : std::atoi(text.c_str() + colon + 1);
    if (side < 1) return std::fprintf(stderr, "bad picture side in '%s'\n", text.c_str()), 2;
    if (asked < 32) return std::fprintf(stderr, "bad tile '%s' (>= 32)\n", text.c_str()), 2;
    // As NeuralUpscaler::initial_tile_px rounds an explicit --tile.
    const int multiple = std::max(8, (*model)->size_multiple());
    const int tile = std::max(multiple, asked / multiple * multiple);
    std::printf("{\"tile\": %d, \"side\": %d, ", tile, side);
    print_run(**model, **backend, side, tile);
  }
  return 0;
}
