#include "base/file_io.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace upres {
namespace {

namespace fs = std::filesystem;

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("upres_file_io_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileIoTest, AtomicWriteReplacesAndLeavesNoTemporary) {
  std::vector<uint8_t> first = {1, 2, 3}, second = {4, 5};
  ASSERT_TRUE(write_file_atomic(dir_ / "a.bin", first).is_ok());
  ASSERT_TRUE(write_file_atomic(dir_ / "a.bin", second).is_ok());
  EXPECT_EQ(read_file_bytes(dir_ / "a.bin").value(), second);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(FileIoTest, ExclusiveWriteNeverOverwrites) {
  std::vector<uint8_t> first = {1}, second = {2};
  ASSERT_TRUE(write_file_exclusive(dir_ / "b.bin", first).is_ok());
  Status status = write_file_exclusive(dir_ / "b.bin", second);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("exists"), std::string::npos);
  EXPECT_EQ(read_file_bytes(dir_ / "b.bin").value(), first);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(FileIoTest, MissingFileIsNotFound) {
  EXPECT_EQ(read_file_bytes(dir_ / "nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FileIoTest, WriteIntoMissingFolderFailsCleanly) {
  std::vector<uint8_t> bytes = {1};
  Status status = write_file_atomic(dir_ / "missing" / "c.bin", bytes);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace upres
