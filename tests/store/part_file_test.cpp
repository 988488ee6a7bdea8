// PartFile: appends, a second opener is locked out, commit renames into place.
#include "store/part_file.h"

#include <gtest/gtest.h>

#include "local_model_server.h"

namespace upres::store {
namespace {

namespace fs = std::filesystem;

TEST(PartFileTest, AppendsLocksOutASecondDownloadAndCommits) {
  testing::TempFolder temp;
  fs::path part = temp.path() / "sub" / "model.pth.part";
  Result<PartFile> first = PartFile::open(part);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_TRUE(first->append(std::string_view("hello ")).is_ok());
  ASSERT_TRUE(first->append(std::string_view("world")).is_ok());
  EXPECT_EQ(*first->size(), 11u);
  EXPECT_EQ(*first->read_head(5), "hello");
  EXPECT_EQ(*first->read_head(100), "hello world");

  Result<PartFile> second = PartFile::open(part);
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
  EXPECT_NE(second.status().message().find("in progress"), std::string::npos);

  ASSERT_TRUE(first->truncate().is_ok());
  ASSERT_TRUE(first->append(std::string_view("weights")).is_ok());
  fs::path destination = temp.path() / "sub" / "model.pth";
  ASSERT_TRUE(first->commit_to(destination).is_ok());
  EXPECT_FALSE(fs::exists(part));
  EXPECT_EQ(testing::read_bytes(destination), (std::vector<uint8_t>{'w', 'e', 'i', 'g', 'h', 't', 's'}));
}

}  // namespace
}  // namespace upres::store
