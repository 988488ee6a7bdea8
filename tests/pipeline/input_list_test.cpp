#include "pipeline/input_list.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_folder.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names(const InputList& list) {
  std::vector<std::string> out;
  for (const auto& item : list.items) out.push_back(item.path.filename().string());
  return out;
}

TEST(InputListTest, FoldersGlobsAndFiles) {
  upres::testing::TestFolder dir;
  fs::create_directories(dir.path() / "sub");
  for (const char* name : {"b.png", "a.JPG", "notes.txt", "sub/c.webp"}) std::ofstream(dir.path() / name) << "x";

  InputList flat = expand_inputs({dir.path().string()}, false);
  EXPECT_TRUE(flat.is_batch);
  EXPECT_EQ(names(flat), (std::vector<std::string>{"a.JPG", "b.png"}));

  InputList deep = expand_inputs({dir.path().string()}, true);
  EXPECT_EQ(deep.items.size(), 3u);

  InputList glob = expand_inputs({(dir.path() / "*.png").string()}, false);
  EXPECT_TRUE(glob.is_batch);
  EXPECT_EQ(names(glob), (std::vector<std::string>{"b.png"}));

  InputList single = expand_inputs({(dir.path() / "notes.txt").string()}, false);
  EXPECT_FALSE(single.is_batch);  // a file given by name is tried whatever its extension
  ASSERT_EQ(single.items.size(), 1u);
  EXPECT_TRUE(single.items[0].problem.is_ok());
}

TEST(InputListTest, MissingPathsBecomeReportedItems) {
  upres::testing::TestFolder dir;
  InputList list = expand_inputs({(dir.path() / "gone.png").string(), (dir.path() / "*.tif").string()}, false);
  ASSERT_EQ(list.items.size(), 2u);
  EXPECT_EQ(list.items[0].problem.code(), StatusCode::kNotFound);
  EXPECT_NE(list.items[1].problem.message().find("no file matches"), std::string::npos);
}

}  // namespace
}  // namespace upres::pipeline
