// Tests for infotext formatting, quoting and parsing against strings the reference UI's
// quote() (json.dumps(ensure_ascii=False)) produces, checked by hand with Python.
#include "image/infotext.h"

#include <gtest/gtest.h>

namespace upres::image {
namespace {

TEST(Infotext, FormatsTheReferenceExample) {
  const InfotextItems items = {{"Postprocess upscale by", "4"},
                               {"Postprocess upscaler", "Lanczos"},
                               {"Postprocess upscaler 2", "Nearest"}};
  EXPECT_EQ(format_infotext(items),
            "Postprocess upscale by: 4, Postprocess upscaler: Lanczos, Postprocess upscaler 2: Nearest");
}

TEST(Infotext, QuotesLikeJsonDumpsOnlyWhenNeeded) {
  EXPECT_EQ(quote_infotext_value("R-ESRGAN 4x+"), "R-ESRGAN 4x+");
  EXPECT_EQ(quote_infotext_value("a, b"), "\"a, b\"");
  EXPECT_EQ(quote_infotext_value("x:y"), "\"x:y\"");
  EXPECT_EQ(quote_infotext_value("line1\nline2"), "\"line1\\nline2\"");
  EXPECT_EQ(quote_infotext_value("say \"hi\""), "say \"hi\"");
  EXPECT_EQ(quote_infotext_value("say \"hi\", ok"), "\"say \\\"hi\\\", ok\"");
  EXPECT_EQ(quote_infotext_value("C:\\dir"), "\"C:\\\\dir\"");
  EXPECT_EQ(quote_infotext_value("caf\xC3\xA9, \xE2\x9C\x93"), "\"caf\xC3\xA9, \xE2\x9C\x93\"");
  EXPECT_EQ(quote_infotext_value("a\tb,"), "\"a\\tb,\"");
  EXPECT_EQ(quote_infotext_value("\x01,\x1f\x7f"), "\"\\u0001,\\u001f\x7f\"");
  EXPECT_EQ(quote_infotext_value(""), "");
}

TEST(Infotext, ItemWhoseKeyEqualsItsValueIsBare) {
  const InfotextItems items = {{"Postprocess upscale to", "512x512"}, {"Crop", "Crop"},
                               {"Postprocess upscaler", "x: y"}};
  EXPECT_EQ(format_infotext(items), "Postprocess upscale to: 512x512, Crop, Postprocess upscaler: \"x: y\"");
  EXPECT_EQ(format_infotext({}), "");
}

TEST(Infotext, ParseInvertsFormat) {
  const std::vector<InfotextItems> cases = {
      {{"Postprocess upscale by", "4"}, {"Postprocess upscaler", "R-ESRGAN 4x+"}},
      {{"Bare", "Bare"}, {"k", "a, b: c"}, {"Last", "Last"}},
      {{"q", "say \"hi\", ok"}, {"path", "C:\\dir\\x"}, {"nl", "one\ntwo\r\tthree"}},
      {{"u", "caf\xC3\xA9, \xE2\x9C\x93 \xF0\x9F\x98\x80"}, {"ctl", "\x01,\x1f"}, {"plain", "say \"hi\""}},
      {{"GFPGAN visibility", "0.5"}, {"CodeFormer weight", "0.333"}},
  };
  for (const auto& items : cases) EXPECT_EQ(parse_infotext(format_infotext(items)), items) << format_infotext(items);
}

TEST(Infotext, ParsesEscapesAndSpacing) {
  const InfotextItems items = parse_infotext("  a: 1,b:\"x\\u00e9\\ud83d\\ude00, y\" , c: plain text");
  const InfotextItems expected = {{"a", "1"}, {"b", "x\xC3\xA9\xF0\x9F\x98\x80, y"}, {"c", "plain text"}};
  EXPECT_EQ(items, expected);
  EXPECT_TRUE(parse_infotext("").empty());
  const InfotextItems unterminated = parse_infotext("k: \"open, rest");
  ASSERT_EQ(unterminated.size(), 2u);
  EXPECT_EQ(unterminated[0], std::make_pair(std::string("k"), std::string("\"open")));
}

TEST(Infotext, NumbersRoundToThreeDecimalsWithoutTrailingZeros) {
  EXPECT_EQ(format_infotext_number(4), "4");
  EXPECT_EQ(format_infotext_number(4.0), "4");
  EXPECT_EQ(format_infotext_number(2.5), "2.5");
  EXPECT_EQ(format_infotext_number(1.0 / 3.0), "0.333");
  EXPECT_EQ(format_infotext_number(2.0 / 3.0), "0.667");
  EXPECT_EQ(format_infotext_number(0.1 + 0.2), "0.3");
  EXPECT_EQ(format_infotext_number(16), "16");
  EXPECT_EQ(format_infotext_number(0.0004), "0");
  EXPECT_EQ(format_infotext_number(-0.0001), "0");
  EXPECT_EQ(format_infotext_number(1.25), "1.25");
}

}  // namespace
}  // namespace upres::image
