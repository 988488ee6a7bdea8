// Test support for model tests: raw fp32 fixture files, running an UpscaleModel's graph on a named
// backend, comparing outputs, and its memory estimate against the planned arenas. Functions;
// thread-compatible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/upscale_model.h"
#include "weights/weight_map.h"

namespace upres::models::testing {

// A raw little-endian fp32 file as a tensor of `shape`; Corrupt when its size does not match.
Result<engine::Tensor> read_f32_tensor(const std::filesystem::path& path, const engine::Shape& shape);

struct ModelRun {
  engine::Tensor output;
  size_t arena_bytes = 0;  // of the prepared executable
};

// Builds the model's graph for `input`'s height and width, prepares it on `backend` in
// `compute_dtype` (kUnsupported where the backend cannot) and runs.
Result<ModelRun> run_model(const UpscaleModel& model, const std::string& backend, const engine::Tensor& input,
                           DType compute_dtype = DType::kF32);

// Largest |a - b| over all elements; infinity when the shapes differ.
double max_abs_diff(const engine::Tensor& a, const engine::Tensor& b);

// How far bytes_per_input_pixel() may overstate the arena per pixel: `times` every backend's
// arena, or, where backends plan differently and the estimate covers the larger (kLargestArena),
// `times` the largest.
struct EstimateBound {
  enum class Against { kEveryArena, kLargestArena };
  double times = 2;
  Against against = Against::kEveryArena;
};

// Builds `model`'s graph for a side x side input, prepares it on every backend and prints a
// "[ MEMORY   ]" line for each: expects the estimate (times the pixels, plus kFixedExecutableBytes)
// to cover every backend's arena (tiles are sized from it) and to stay within `bound`. `label`
// names the model in the output and in failures.
void expect_estimate_covers_arena(const UpscaleModel& model, int side, const std::string& label,
                                  EstimateBound bound = {});

// The built backends to compare on, less the naive reference backend (slow on large inputs) where
// `side` exceeds `reference_max_side`.
std::vector<std::string> backends_for_side(int64_t side, int64_t reference_max_side);

// The weights of a file holding one residual group ("layers.0.") of two blocks, deepened to
// `groups` groups of `blocks` blocks: even blocks read block 0's tensors, odd blocks block 1's,
// every group group 0's other tensors (blocks are "layers.G.<blocks_prefix>B."). Lets tests build
// a released depth (DAT-S, HAT-S) from a small fixture; the tensors are shared, not copied.
Result<weights::WeightMap> deepened_weights(const std::filesystem::path& path, int groups, int blocks,
                                            const std::string& blocks_prefix);

// Bytes of the graph's constant nodes (the masks, biases and paddings it builds; not the weights
// that convolutions and linears carry): tile-sized ones must be made once per graph, not per block.
int64_t constant_bytes(const engine::Graph& graph);

// "/usr/bin/python3 <source>/tests/reference/<script> <args>"; false (with the reason in
// `message`) when it fails or /usr/bin/python3 lacks torch.
bool run_reference_script(const std::string& script, const std::string& args, std::string* message);

// The folder <UPRES_TEST_OUTPUT_DIR>/<folder> holding what tests/reference/<script> writes (with
// a manifest.json), made once per script version: a manifest newer than the script is reused;
// otherwise `script` runs with "<fresh folder> <extra_args>" and the fresh set is renamed into
// place, so test processes running at once never see a half-written set. NotFound (the reason
// to skip) when /usr/bin/python3 with torch is missing or the script fails.
Result<std::filesystem::path> ensure_fixtures(const std::string& script, const std::string& folder,
                                              const std::string& extra_args = "");

}  // namespace upres::models::testing
