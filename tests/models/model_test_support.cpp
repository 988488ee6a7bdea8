// Test support for model tests: fixtures, running graphs, comparisons, memory estimates.
#include "model_test_support.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "weights/weight_file.h"

namespace upres::models::testing {

Result<engine::Tensor> read_f32_tensor(const std::filesystem::path& path, const engine::Shape& shape) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path.string() + ": cannot open");
  std::vector<float> values(static_cast<size_t>(engine::shape_numel(shape)));
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
  if (in.gcount() != static_cast<std::streamsize>(values.size() * sizeof(float)) || in.peek() != EOF) {
    return corrupt(path.string() + ": size does not match shape " + engine::shape_to_string(shape));
  }
  return engine::Tensor::from_f32(values, shape);
}

Result<ModelRun> run_model(const UpscaleModel& model, const std::string& backend_name, const engine::Tensor& input,
                           DType compute_dtype) {
  UPRES_ASSIGN_OR_RETURN(engine::Graph graph, model.build_graph(static_cast<int>(input.dim(2)),
                                                                static_cast<int>(input.dim(3))));
  UPRES_ASSIGN_OR_RETURN(auto backend, engine::create_backend(backend_name));
  UPRES_ASSIGN_OR_RETURN(auto executable, backend->prepare(graph, engine::PrepareOptions{.compute_dtype = compute_dtype}));
  std::vector<engine::Tensor> outputs(1);
  UPRES_RETURN_IF_ERROR(executable->run({&input, 1}, outputs));
  return ModelRun{outputs[0], executable->arena_bytes()};
}

Result<weights::WeightMap> deepened_weights(const std::filesystem::path& path, int groups, int blocks,
                                            const std::string& blocks_prefix) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  const weights::WeightMap& shallow = file.weights;
  weights::WeightMap deep;
  for (const auto& source : shallow.sources()) deep.add_source(source);  // same indices as `shallow`
  const std::string group_prefix = "layers.0.";
  std::vector<std::string> names;
  for (const weights::WeightEntry& entry : shallow.entries()) {
    names.clear();
    if (!entry.name.starts_with(group_prefix)) {
      names.push_back(entry.name);
    } else {
      const std::string rest = entry.name.substr(group_prefix.size());  // "conv.weight", "<blocks_prefix>1...."
      const bool in_block = rest.starts_with(blocks_prefix);
      const size_t tail = in_block ? rest.find('.', blocks_prefix.size()) : 0;
      const int first = in_block ? std::stoi(rest.substr(blocks_prefix.size(), tail - blocks_prefix.size())) : 0;
      for (int g = 0; g < groups; ++g) {
        const std::string group = "layers." + std::to_string(g) + ".";
        if (!in_block) names.push_back(group + rest);
        for (int b = first; in_block && b < blocks; b += 2) {
          names.push_back(group + blocks_prefix + std::to_string(b) + rest.substr(tail));
        }
      }
    }
    for (const std::string& name : names) {
      weights::WeightEntry copy = entry;
      copy.name = name;
      UPRES_RETURN_IF_ERROR(deep.add_entry(std::move(copy)));
    }
  }
  return deep;
}

int64_t constant_bytes(const engine::Graph& graph) {
  int64_t bytes = 0;
  for (const engine::Node& node : graph.nodes()) {
    if (node.kind == engine::OpKind::kConstant) bytes += static_cast<int64_t>(node.constants[0].size_bytes());
  }
  return bytes;
}

double max_abs_diff(const engine::Tensor& a, const engine::Tensor& b) {
  if (a.shape() != b.shape()) return std::numeric_limits<double>::infinity();
  const std::vector<float> x = a.to_f32();
  const std::vector<float> y = b.to_f32();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = std::fabs(static_cast<double>(x[i]) - y[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates
  }
  return worst;
}

void expect_estimate_covers_arena(const UpscaleModel& model, int side, const std::string& label,
                                  EstimateBound bound) {
  auto graph = model.build_graph(side, side);
  ASSERT_TRUE(graph.is_ok()) << label << ": " << graph.status().to_string();
  const double pixels = static_cast<double>(side) * side;
  const double estimate = model.bytes_per_input_pixel();
  double largest_arena = 0;
  for (const std::string& name : engine::backend_names()) {
    SCOPED_TRACE(label + " at " + std::to_string(side) + " px on " + name);
    auto backend = engine::create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
    auto executable = (*backend)->prepare(*graph, engine::PrepareOptions{});
    ASSERT_TRUE(executable.is_ok()) << executable.status().to_string();
    const double arena = static_cast<double>((*executable)->arena_bytes());
    std::cout << "[ MEMORY   ] " << label << " at " << side << " px on " << name << ": estimate " << estimate
              << " B/px, arena " << arena / pixels << " B/px\n";
    EXPECT_GE(estimate * pixels + UpscaleModel::kFixedExecutableBytes, arena);
    if (bound.against == EstimateBound::Against::kEveryArena) {
      EXPECT_LE(estimate, bound.times * arena / pixels);
    }
    largest_arena = std::max(largest_arena, arena);
  }
  if (bound.against == EstimateBound::Against::kLargestArena) {
    EXPECT_LE(estimate, bound.times * largest_arena / pixels) << label << " at " << side << " px";
  }
}

std::vector<std::string> backends_for_side(int64_t side, int64_t reference_max_side) {
  std::vector<std::string> names;
  for (const std::string& name : engine::backend_names()) {
    if (name != "reference" || side <= reference_max_side) names.push_back(name);
  }
  return names;
}

bool run_reference_script(const std::string& script, const std::string& args, std::string* message) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    *message = "/usr/bin/python3 with torch is not available";
    return false;
  }
  const std::string command =
      "/usr/bin/python3 " + std::string(UPRES_SOURCE_DIR) + "/tests/reference/" + script + " " + args;
  if (std::system(command.c_str()) != 0) {
    *message = "failed: " + command;
    return false;
  }
  return true;
}

namespace {

// The scripts import shared modules (window_attention_torch.py, fixture_tensors.py), so a set is
// stale when any script in tests/reference is newer than it, not only its own.
std::filesystem::file_time_type newest_reference_script_time() {
  namespace fs = std::filesystem;
  auto newest = fs::file_time_type::min();  // not {}: libstdc++'s file clock counts from 2174
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(UPRES_SOURCE_DIR) / "tests/reference", error)) {
    if (entry.path().extension() == ".py") newest = std::max(newest, entry.last_write_time(error));
  }
  return newest;
}

}  // namespace

Result<std::filesystem::path> ensure_fixtures(const std::string& script, const std::string& folder,
                                              const std::string& extra_args) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(UPRES_TEST_OUTPUT_DIR) / folder;
  const fs::path manifest = dir / "manifest.json";
  std::error_code error;
  if (fs::exists(manifest) && fs::last_write_time(manifest) >= newest_reference_script_time()) return dir;
  const std::string pid = std::to_string(::getpid());
  const fs::path fresh = dir.string() + ".new." + pid, old = dir.string() + ".old." + pid;
  std::string message;
  if (!run_reference_script(script, fresh.string() + " " + extra_args, &message)) return not_found(message);
  fs::rename(dir, old, error);
  fs::rename(fresh, dir, error);  // a concurrent process may have landed its set first: keep it
  fs::remove_all(fresh, error);
  fs::remove_all(old, error);
  return dir;
}

}  // namespace upres::models::testing
