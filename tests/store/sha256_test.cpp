// Sha256 against the FIPS 180-2 examples and the coreutils sha256sum program.
#include "store/sha256.h"

#include <gtest/gtest.h>

#include <string_view>

#include "local_model_server.h"

namespace upres::store {
namespace {

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

TEST(Sha256Test, MatchesPublishedVectors) {
  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update(as_bytes("a"));
  abc.update(as_bytes("bc"));
  EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, FileDigestMatchesSha256sum) {
  testing::TempFolder temp;
  std::filesystem::path path = temp.path() / "data.bin";
  testing::write_bytes(path, testing::random_bytes(3'000'001, 5));  // crosses the 1 MiB reads
  Result<std::string> digest = sha256_of_file(path);
  ASSERT_TRUE(digest.is_ok()) << digest.status().to_string();
  EXPECT_EQ(*digest, testing::sha256sum_of(path));
  EXPECT_EQ(sha256_of_file(temp.path() / "absent").status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace upres::store
