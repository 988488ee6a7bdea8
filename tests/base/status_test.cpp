#include "base/result.h"

#include <gtest/gtest.h>

namespace upres {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("x must be positive, got " + std::to_string(x));
  return x;
}

Result<int> doubled(int x) {
  UPRES_ASSIGN_OR_RETURN(int value, parse_positive(x));
  return value * 2;
}

TEST(StatusTest, OkAndErrorStrings) {
  EXPECT_TRUE(Status::ok().is_ok());
  Status status = corrupt("a.png: truncated");
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(status.to_string(), "Corrupt: a.png: truncated");
  EXPECT_EQ(status.with_context("batch").message(), "batch: a.png: truncated");
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(doubled(3).value(), 6);
  Result<int> bad = doubled(-1);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("-1"), std::string::npos);
}

}  // namespace
}  // namespace upres
