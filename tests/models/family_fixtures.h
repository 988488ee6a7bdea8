// Header-only support for the architecture-family tests (omnisr, span, plksr, dat, hat, lama): a
// fixture set made by tests/reference/<family>_torch.py (ensure_fixtures), each case's files loaded
// through load_upscale_model and every run compared with PyTorch on every backend, and PSNR.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend_registry.h"
#include "model_test_support.h"
#include "models/upscale_model.h"

namespace upres::models::testing {

inline std::filesystem::path npm_models_dir() {
  return std::filesystem::path(UPRES_SOURCE_DIR) / ".cache/npm/waifu2x-1.6.5/package/models";
}
inline std::filesystem::path baby_png() { return std::filesystem::path(UPRES_TEST_DATA_DIR) / "images/set5/baby.png"; }

// PSNR (peak 1) of a against b, both clamped to [0, 1] as pictures are; infinity when equal.
inline double psnr(const engine::Tensor& a, const engine::Tensor& b) {
  if (a.shape() != b.shape()) return 0.0;
  const std::vector<float> x = a.to_f32(), y = b.to_f32();
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = std::clamp(static_cast<double>(x[i]), 0.0, 1.0) - std::clamp(static_cast<double>(y[i]), 0.0, 1.0);
    sum += d * d;
  }
  const double mse = sum / static_cast<double>(std::max<size_t>(x.size(), 1));
  return mse == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(1.0 / mse);
}

// bytes_per_input_pixel() against the arena each backend plans for a side x side input, as
// memory_estimate_test does: the estimate (plus kFixedExecutableBytes) covers it, within 2x per pixel.
inline void expect_estimate_covers_arena(const UpscaleModel& model, int side) {
  auto graph = model.build_graph(side, side);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  for (const std::string& name : engine::backend_names()) {
    auto backend = engine::create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
    auto executable = (*backend)->prepare(*graph, engine::PrepareOptions{});
    ASSERT_TRUE(executable.is_ok()) << executable.status().to_string();
    const double pixels = static_cast<double>(side) * side;
    const double arena = static_cast<double>((*executable)->arena_bytes());
    const double estimate = model.bytes_per_input_pixel();
    std::cout << "[ MEMORY   ] " << model.architecture() << " on " << name << ": estimate " << estimate
              << " B/px, arena " << arena / pixels << " B/px\n";
    EXPECT_GE(estimate * pixels + UpscaleModel::kFixedExecutableBytes, arena) << name;
    EXPECT_LE(estimate, 2 * arena / pixels) << name;
  }
}

// One family's fixture set: the manifest written by tests/reference/<script>.
class FamilyFixtures {
 public:
  FamilyFixtures(const std::string& script, const std::string& folder, const std::string& args) {
    auto dir = ensure_fixtures(script, folder, args);
    if (!dir.is_ok()) {
      skip_reason_ = dir.status().message();
      return;
    }
    dir_ = *dir;
    std::ifstream in(dir_ / "manifest.json");
    manifest_ = nlohmann::json::parse(in);
  }
  const std::string& skip_reason() const { return skip_reason_; }
  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& manifest() const { return manifest_; }
  // The entry named `name` in `list` ("cases" or "real"), or nullptr.
  const nlohmann::json* find(const std::string& list, const std::string& name) const {
    for (const nlohmann::json& c : manifest_.at(list)) {
      if (c.at("name") == name) return &c;
    }
    return nullptr;
  }

  // Runs every input of `c` through `model` on every backend: max |diff| <= tolerance and, when
  // min_psnr > 0, PSNR >= min_psnr. Prints both and the arena against the model's estimate.
  void expect_matches(const UpscaleModel& model, const nlohmann::json& c, double tolerance, double min_psnr = 0) const {
    EXPECT_EQ(model.scale(), c.at("scale").get<int>());
    for (const nlohmann::json& run : c.at("runs")) {
      auto input = read_f32_tensor(dir_ / run["input"]["file"].get<std::string>(),
                                   run["input"]["shape"].get<engine::Shape>());
      auto expected = read_f32_tensor(dir_ / run["expected"]["file"].get<std::string>(),
                                      run["expected"]["shape"].get<engine::Shape>());
      ASSERT_TRUE(input.is_ok() && expected.is_ok()) << input.status().to_string() << expected.status().to_string();
      for (const std::string& backend : engine::backend_names()) {
        SCOPED_TRACE("backend " + backend + ", input " + run["input"]["file"].get<std::string>());
        auto result = run_model(model, backend, *input);
        ASSERT_TRUE(result.is_ok()) << result.status().to_string();
        const double diff = max_abs_diff(result->output, *expected);
        const double db = psnr(result->output, *expected);
        const double pixels = static_cast<double>(input->dim(2) * input->dim(3));
        std::cout << "[ MAX DIFF ] " << c.at("name").get<std::string>() << " " << run["input"]["file"].get<std::string>()
                  << " on " << backend << ": " << diff << " (PSNR " << db << " dB; arena "
                  << static_cast<double>(result->arena_bytes) / pixels << " B/px, estimate "
                  << model.bytes_per_input_pixel() << ")\n";
        EXPECT_LE(diff, tolerance);
        if (min_psnr > 0) {
          EXPECT_GE(db, min_psnr);
        }
      }
    }
  }

 private:
  std::string skip_reason_;
  std::filesystem::path dir_;
  nlohmann::json manifest_;
};

}  // namespace upres::models::testing
