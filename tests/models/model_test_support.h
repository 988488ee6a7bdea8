// Test support for model tests: raw fp32 fixture files, running an UpscaleModel's graph on a named
// backend, and comparing outputs. Functions; thread-compatible.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/tensor.h"
#include "models/upscale_model.h"

namespace upres::models::testing {

// A raw little-endian fp32 file as a tensor of `shape`; Corrupt when its size does not match.
Result<engine::Tensor> read_f32_tensor(const std::filesystem::path& path, const engine::Shape& shape);

struct ModelRun {
  engine::Tensor output;
  size_t arena_bytes = 0;  // of the prepared executable
};

// Builds the model's graph for `input`'s height and width, prepares it on `backend` (fp32) and runs.
Result<ModelRun> run_model(const UpscaleModel& model, const std::string& backend, const engine::Tensor& input);

// Largest |a - b| over all elements; infinity when the shapes differ.
double max_abs_diff(const engine::Tensor& a, const engine::Tensor& b);

// "/usr/bin/python3 <source>/tests/reference/<script> <args>"; false (with the reason in
// `message`) when it fails or /usr/bin/python3 lacks torch.
bool run_reference_script(const std::string& script, const std::string& args, std::string* message);

}  // namespace upres::models::testing
