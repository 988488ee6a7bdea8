// Registering neural upscalers: every upscaler model the store lists (installed, or downloadable on
// first use) and model files named by path, each loaded lazily as a NeuralUpscaler.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "pipeline/neural_upscaler.h"
#include "pipeline/upscaler_registry.h"
#include "store/downloader.h"
#include "store/model_store.h"

namespace upres::pipeline {

struct ModelUpscalerOptions {
  std::filesystem::path models_dir = "models";
  InferenceOptions inference;
  store::DownloadProgress download_progress;  // called while a model downloads on first use
};

// The classical upscalers plus every upscaler the models folder offers.
std::shared_ptr<UpscalerRegistry> make_upscaler_registry(const ModelUpscalerOptions& options);

// If `name` is the path of an existing model file (.pth, .pt, .ckpt, .safetensors, .param, .onnx) that is
// not a registered name, registers it under that path. OK (and nothing done) otherwise.
Status register_model_path(UpscalerRegistry& registry, const std::string& name,
                           const ModelUpscalerOptions& options);

}  // namespace upres::pipeline
