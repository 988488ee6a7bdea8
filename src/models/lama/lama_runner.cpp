// LamaRunner: backend choice, per-size executables, and the copy in and out of one tile.
#include "models/lama/lama_runner.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/backend_registry.h"

namespace upres::models::lama {

Result<std::shared_ptr<LamaRunner>> LamaRunner::load(const std::filesystem::path& path, std::string backend) {
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<const LamaGenerator> net, LamaGenerator::load(path));
  if (backend.empty()) {
    const auto names = engine::backend_names();
    backend = std::find(names.begin(), names.end(), "cpu") != names.end() ? "cpu" : "reference";
  }
  UPRES_ASSIGN_OR_RETURN(std::unique_ptr<engine::Backend> engine_backend, engine::create_backend(backend));
  return std::make_shared<LamaRunner>(std::move(net), std::move(engine_backend));
}

LamaRunner::LamaRunner(std::shared_ptr<const LamaGenerator> net, std::unique_ptr<engine::Backend> backend)
    : net_(std::move(net)), backend_(std::move(backend)) {}

Status LamaRunner::run(const float* input, int height, int width, float* output) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = std::find_if(executables_.begin(), executables_.end(),
                            [&](const Prepared& p) { return p.height == height && p.width == width; });
  if (found != executables_.end()) {
    Prepared hit = std::move(*found);
    executables_.erase(found);
    executables_.push_front(std::move(hit));
  } else {
    UPRES_ASSIGN_OR_RETURN(engine::Graph graph, net_->build_graph(height, width));
    UPRES_ASSIGN_OR_RETURN(std::unique_ptr<engine::Executable> prepared, backend_->prepare(graph, {}));
    if (executables_.size() >= kKeptSizes) executables_.pop_back();
    executables_.push_front({height, width, std::move(prepared)});
  }
  engine::Executable* exe = executables_.front().executable.get();
  const size_t plane = static_cast<size_t>(height) * static_cast<size_t>(width);
  UPRES_ASSIGN_OR_RETURN(engine::Tensor x, engine::Tensor::from_f32({input, 4 * plane}, {1, 4, height, width}));
  std::vector<engine::Tensor> outputs(1);
  UPRES_RETURN_IF_ERROR(exe->run({&x, 1}, outputs));
  const std::vector<float> y = outputs[0].to_f32();
  if (y.size() != 3 * plane) return internal_error("LaMa: output of " + std::to_string(y.size()) + " values");
  std::memcpy(output, y.data(), y.size() * sizeof(float));
  return Status::ok();
}

}  // namespace upres::models::lama
