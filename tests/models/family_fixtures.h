// Header-only support for the tests of models with PyTorch fixtures (the architecture families,
// the face restorers, the .pth architectures): a fixture set made by tests/reference/<script>
// (ensure_fixtures), each case's files loaded through load_upscale_model and every run compared
// with PyTorch on every backend, and PSNR. Thread-compatible.
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

  // Loads each of case `name`'s "files" through load_upscale_model, has `check_config(model, case)`
  // compare the family's configuration with the manifest, and runs expect_matches at `tolerance`.
  template <typename CheckConfig>
  void expect_case_files_match(const std::string& name, double tolerance, CheckConfig check_config) const {
    const nlohmann::json* c = find("cases", name);
    ASSERT_NE(c, nullptr) << "manifest lacks " << name;
    for (const nlohmann::json& file : c->at("files")) {
      SCOPED_TRACE(file.get<std::string>());
      auto model = load_upscale_model(dir_ / file.get<std::string>());
      ASSERT_TRUE(model.is_ok()) << model.status().to_string();
      ASSERT_NO_FATAL_FAILURE(check_config(**model, *c));  // its ASSERTs stop the test, as when inline
      expect_matches(**model, *c, tolerance);
    }
  }

  // Each file of the manifest's "memory" list, loaded through `load(path)`: its estimate against
  // the arena every backend plans at side x side (expect_estimate_covers_arena within `bound`).
  template <typename Load>
  void expect_memory_estimates_cover_arena(Load load, int side, EstimateBound bound) const {
    for (const nlohmann::json& entry : manifest_.at("memory")) {
      const std::string file = entry.get<std::string>();
      auto model = load(dir_ / file);
      ASSERT_TRUE(model.is_ok()) << file << ": " << model.status().to_string();
      expect_estimate_covers_arena(**model, side, file, bound);
    }
  }

  // Every file of the manifest's "hostile" map (file -> words) fails through `load(path)` with a
  // message holding its words.
  template <typename Load>
  void expect_hostile_files_fail(Load load) const {
    for (const auto& entry : manifest_.at("hostile").items()) {
      const std::string& file = entry.key();
      const std::string words = entry.value().template get<std::string>();
      SCOPED_TRACE(file);
      auto net = load(dir_ / file);
      ASSERT_FALSE(net.is_ok());
      EXPECT_NE(net.status().message().find(words), std::string::npos) << net.status().to_string();
    }
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
