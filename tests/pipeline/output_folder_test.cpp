#include "pipeline/output_folder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file_io.h"
#include "test_folder.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

image::Image small_image() {
  image::Image picture(4, 3, 3);
  picture.at(1, 1, 0) = 1.0f;
  return picture;
}

void touch(const fs::path& path, const std::string& content = "keep") {
  std::ofstream(path) << content;
}

std::string content_of(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(OutputFolderTest, NumbersContinueAfterTheHighestAndNeverOverwrite) {
  upres::testing::TestFolder dir;
  touch(dir.path() / "00000.png");
  touch(dir.path() / "00007-other.jpg");
  auto folder = OutputFolder::open(dir.path(), {});
  ASSERT_TRUE(folder.is_ok());
  auto first = folder->save_numbered(small_image());
  auto second = folder->save_numbered(small_image());
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_EQ(first->filename(), "00008.png");
  EXPECT_EQ(second->filename(), "00009.png");
  EXPECT_EQ(content_of(dir.path() / "00000.png"), "keep");
}

TEST(OutputFolderTest, NamedResultsGetASuffixInsteadOfOverwriting) {
  upres::testing::TestFolder dir;
  touch(dir.path() / "cat.png");
  auto folder = OutputFolder::open(dir.path(), {});
  ASSERT_TRUE(folder.is_ok());
  EXPECT_TRUE(folder->has_result_for("cat"));
  EXPECT_FALSE(folder->has_result_for("dog"));
  EXPECT_EQ(folder->save_named(small_image(), "cat")->filename(), "cat-1.png");
  EXPECT_EQ(folder->save_named(small_image(), "dog")->filename(), "dog.png");
  EXPECT_EQ(content_of(dir.path() / "cat.png"), "keep");
}

TEST(OutputFolderTest, FormatChoosesTheExtension) {
  upres::testing::TestFolder dir;
  auto folder = OutputFolder::open(dir.path(), {image::ImageFormat::kJpeg, 80, false});
  ASSERT_TRUE(folder.is_ok());
  EXPECT_EQ(folder->save_numbered(small_image())->filename(), "00000.jpg");
}

TEST(OutputFolderTest, OpeningRemovesTemporariesOfDeadProcessesOnly) {
  upres::testing::TestFolder dir;
  // pid 999999999 cannot exist (pid_max is at most 2^22); our own pid is alive.
  fs::path dead = dir.path() / ".00000.png.999999999.0.part";
  fs::path alive = dir.path() / (".00001.png." + std::to_string(::getpid()) + ".0.part");
  touch(dead);
  touch(alive);
  ASSERT_TRUE(OutputFolder::open(dir.path(), {}).is_ok());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive));
}

TEST(OutputFolderTest, CreatesMissingFolders) {
  upres::testing::TestFolder dir;
  auto folder = OutputFolder::open(dir.path() / "outputs" / "extras-images", {});
  ASSERT_TRUE(folder.is_ok());
  EXPECT_TRUE(fs::is_directory(dir.path() / "outputs" / "extras-images"));
}

}  // namespace
}  // namespace upres::pipeline
