// FastAPI/pydantic v1 rules: Python json's error messages and positions (the expected texts are
// what Python 3's json.loads raises), and pydantic v1's coercions.
#include "server/request_validation.h"

#include <gtest/gtest.h>

namespace upres::server {
namespace {

using nlohmann::json;

std::string decode_error(std::string_view body) {
  ValidationErrors errors;
  auto parsed = read_json_object_body(body, "application/json", errors);
  if (parsed) return "parsed";
  return errors.body()["detail"][0]["msg"];
}

TEST(RequestValidationTest, JsonErrorsArePythons) {
  EXPECT_EQ(decode_error(R"({"a" 1})"), "Expecting ':' delimiter: line 1 column 6 (char 5)");
  EXPECT_EQ(decode_error(R"({"a": 1,})"),
            "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)");
  EXPECT_EQ(decode_error(R"({"a": [1 2]})"), "Expecting ',' delimiter: line 1 column 10 (char 9)");
  EXPECT_EQ(decode_error(R"({"a": "x)"), "Unterminated string starting at: line 1 column 7 (char 6)");
  EXPECT_EQ(decode_error(R"({"a": tru})"), "Expecting value: line 1 column 7 (char 6)");
  EXPECT_EQ(decode_error(R"({} x)"), "Extra data: line 1 column 4 (char 3)");
  EXPECT_EQ(decode_error(R"({"a": "\q"})"), "Invalid \\escape: line 1 column 8 (char 7)");
  EXPECT_EQ(decode_error("\n\n  {\"\xc3\xa9\": ]"), "Expecting value: line 3 column 9 (char 10)");
  EXPECT_EQ(decode_error(R"({"a": 1, "b": [true, null, -0.5e3]})"), "parsed");
}

TEST(RequestValidationTest, BodyMustBeAJsonObject) {
  ValidationErrors errors;
  EXPECT_FALSE(read_json_object_body("{}", "text/plain", errors));
  EXPECT_FALSE(read_json_object_body("", "application/json", errors));
  EXPECT_FALSE(read_json_object_body("3", "", errors));
  EXPECT_TRUE(read_json_object_body("{}", "application/vnd.api+json; charset=utf-8", errors));
  EXPECT_EQ(errors.body()["detail"],
            json::parse(R"([{"loc":["body"],"msg":"value is not a valid dict","type":"type_error.dict"},
                            {"loc":["body"],"msg":"field required","type":"value_error.missing"},
                            {"loc":["body"],"msg":"value is not a valid dict","type":"type_error.dict"}])"));
}

TEST(RequestValidationTest, CoercesAsPydanticV1) {
  const json body = {{"f1", " 2.5 "}, {"f2", "1_000"}, {"f3", true},  {"f4", "0x10"},
                     {"i1", 2.9},     {"i2", "-7"},    {"i3", "2.0"}, {"b1", "YES"},
                     {"b2", 1.0},     {"b3", 2},       {"s1", 5},     {"s2", false},
                     {"s3", 2.0},     {"l1", true},    {"l2", "1"},   {"n", nullptr}};
  ValidationErrors errors;
  EXPECT_EQ(read_float(body_field(body, "f1"), errors), 2.5);
  EXPECT_EQ(read_float(body_field(body, "f2"), errors), 1000.0);
  EXPECT_EQ(read_float(body_field(body, "f3"), errors), 1.0);
  EXPECT_EQ(read_int(body_field(body, "i1"), errors), 2);
  EXPECT_EQ(read_int(body_field(body, "i2"), errors), -7);
  EXPECT_EQ(read_bool(body_field(body, "b1"), errors), true);
  EXPECT_EQ(read_bool(body_field(body, "b2"), errors), true);
  EXPECT_EQ(read_str(body_field(body, "s1"), errors), "5");
  EXPECT_EQ(read_str(body_field(body, "s2"), errors), "False");
  EXPECT_EQ(read_str(body_field(body, "s3"), errors), "2.0");
  EXPECT_EQ(read_int_literal(body_field(body, "l1"), {0, 1}, errors), 1);
  EXPECT_EQ(read_float(body_field(body, "absent"), errors), std::nullopt);
  EXPECT_TRUE(errors.empty()) << errors.body().dump();

  EXPECT_EQ(read_float(body_field(body, "f4"), errors), std::nullopt);
  EXPECT_EQ(read_int(body_field(body, "i3"), errors), std::nullopt);
  EXPECT_EQ(read_bool(body_field(body, "b3"), errors), std::nullopt);
  EXPECT_EQ(read_int_literal(body_field(body, "l2"), {0, 1}, errors), std::nullopt);
  EXPECT_EQ(read_float(body_field(body, "n"), errors), std::nullopt);
  std::vector<std::string> types;
  const json detail = errors.body()["detail"];
  for (const json& e : detail) types.push_back(e["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"type_error.float", "type_error.integer", "type_error.bool",
                                             "value_error.const", "type_error.none.not_allowed"}));
}

}  // namespace
}  // namespace upres::server
