// Tests for server/safe_path.h: nothing outside the configured root resolves.
#include "server/safe_path.h"

#include <gtest/gtest.h>

#include <fstream>

namespace upres::server {
namespace {

namespace fs = std::filesystem;

class SafePathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("upres_safe_path_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "inside");
    fs::create_directories(base_ / "root2");
    fs::create_directories(base_ / "outside");
    fs::create_directory_symlink(base_ / "outside", base_ / "root" / "escape");
    fs::create_directory_symlink(base_ / "root" / "inside", base_ / "root" / "alias");
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

TEST_F(SafePathTest, AcceptsFoldersInsideTheRoot) {
  auto root = fs::canonical(base_ / "root");
  EXPECT_EQ(*resolve_under_root(base_ / "root", "inside", "input_dir"), root / "inside");
  EXPECT_EQ(*resolve_under_root(base_ / "root", "", "input_dir"), root);
  EXPECT_EQ(*resolve_under_root(base_ / "root", "./inside/", "input_dir"), root / "inside");
  EXPECT_EQ(*resolve_under_root(base_ / "root", "alias", "input_dir"), root / "inside");
  EXPECT_TRUE(resolve_under_root(base_ / "root", "new/folder", "output_dir").is_ok());
}

TEST_F(SafePathTest, RefusesTraversalAbsolutePathsSymlinksOutAndSiblingPrefixes) {
  for (const char* path : {"..", "../outside", "inside/../../outside", "/etc", "/", "escape",
                           "escape/x", "../root2"}) {
    auto resolved = resolve_under_root(base_ / "root", path, "input_dir");
    ASSERT_FALSE(resolved.is_ok()) << path;
    EXPECT_EQ(resolved.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(resolved.status().message().rfind("input_dir: ", 0), 0u)
        << resolved.status().message();
  }
  EXPECT_FALSE(
      resolve_under_root(base_ / "root", std::string_view("a\0b", 3), "input_dir").is_ok());
  EXPECT_FALSE(resolve_under_root("", "inside", "input_dir").is_ok());
}

}  // namespace
}  // namespace upres::server
