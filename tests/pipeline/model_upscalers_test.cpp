// The upscaler list built from the models folder: reference-UI file aliases ("DAT x2" is also
// "DAT_x2" once DAT_x2.pth is there) and no entry for what upres cannot run (LDSR).
#include "pipeline/model_upscalers.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_folder.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names(const UpscalerRegistry& registry) {
  std::vector<std::string> out;
  for (const UpscalerEntry& entry : registry.entries()) out.push_back(entry.name);
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

void write_file(const fs::path& path, size_t bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
}

TEST(ModelUpscalersTest, DownloadedCatalogFileIsAlsoListedUnderItsReferenceFileStem) {
  upres::testing::TestFolder folder;
  ModelUpscalerOptions options;
  options.models_dir = folder.path();
  std::vector<std::string> before = names(*make_upscaler_registry(options));
  EXPECT_TRUE(contains(before, "DAT x2"));
  EXPECT_FALSE(contains(before, "DAT_x2")) << "an alias before the file is there";

  write_file(folder.path() / "DAT" / "DAT_x2.pth", 4096);
  write_file(folder.path() / "ESRGAN" / "ESRGAN_4x.pth", 4096);
  std::vector<std::string> after = names(*make_upscaler_registry(options));
  EXPECT_TRUE(contains(after, "DAT x2"));
  EXPECT_TRUE(contains(after, "DAT_x2"));
  EXPECT_EQ(std::count(after.begin(), after.end(), "ESRGAN_4x"), 1) << "name equals its stem: no second entry";
}

TEST(ModelUpscalersTest, AnAliasRunsUnderItsOwnName) {
  upres::testing::TestFolder folder;
  write_file(folder.path() / "DAT" / "DAT_x3.pth", 4096);  // not a real model: loading must fail naming the file
  ModelUpscalerOptions options;
  options.models_dir = folder.path();
  auto registry = make_upscaler_registry(options);
  auto upscaler = registry->find("DAT_x3");
  ASSERT_FALSE(upscaler.is_ok());
  EXPECT_NE(upscaler.status().message().find("DAT_x3.pth"), std::string::npos) << upscaler.status().to_string();
}

TEST(ModelUpscalersTest, LatentDiffusionUpscalerIsNotOffered) {
  upres::testing::TestFolder folder;
  ModelUpscalerOptions options;
  options.models_dir = folder.path();
  std::vector<std::string> list = names(*make_upscaler_registry(options));
  EXPECT_FALSE(contains(list, "LDSR"));
  EXPECT_TRUE(contains(list, "SwinIR 4x"));
}

}  // namespace
}  // namespace upres::pipeline
