// parse_generation_parameters against the reference's own results: the expected values were
// produced by running the reference's regex and parse loop (modules/infotext_utils.py) in Python.
#include "server/infotext_parameters.h"

#include <gtest/gtest.h>

#include <chrono>

namespace upres::server {
namespace {

using nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

TEST(InfotextParametersTest, FindsParamsAsTheReferenceRegexDoes) {
  EXPECT_EQ(find_infotext_params(
                R"(Steps: 20, Size: 512x768, Lora hashes: "a: 1, b: 2", Version: v1.6.0)"),
            (Params{{"Steps", "20"},
                    {"Size", "512x768"},
                    {"Lora hashes", R"("a: 1, b: 2")"},
                    {"Version", "v1.6.0"}}));
  // One-letter keys never match; "" is too short for the quoted form; an escaped quote stays.
  EXPECT_EQ(find_infotext_params(R"(x: "unterminated, y: 2, zz: "", a b: "q\"x", w:, k/v-1: 3x4)"),
            (Params{{"zz", R"("")"}, {"a b", R"("q\"x")"}, {"k/v-1", "3x4"}}));
  EXPECT_EQ(find_infotext_params(R"(  Steps :  5 ,Size:1x2x3, Empty: , "Quoted": 1, ok: yes)"),
            (Params{{"Steps ", "5 "}, {"Size", "1x2x3"}, {"Empty", ""}, {"ok", "yes"}}));
  EXPECT_TRUE(find_infotext_params("no params here, at all").empty());
}

TEST(InfotextParametersTest, SplitsPromptNegativePromptAndParams) {
  const json res = parse_generation_parameters(
      "a cat, best quality\nNegative prompt: ugly, (blurry:1.2)\nmore negative\n"
      "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x768, "
      "Model hash: 45dee52b, Lora hashes: \"a: 1, b: 2\", Version: v1.6.0");
  EXPECT_EQ(res["Prompt"], "a cat, best quality");
  EXPECT_EQ(res["Negative prompt"], "ugly, (blurry:1.2)\nmore negative");
  EXPECT_EQ(res["Steps"], "20");
  EXPECT_EQ(res["Sampler"], "Euler a");
  EXPECT_EQ(res["CFG scale"], "7");
  EXPECT_EQ(res["Size-1"], "512");
  EXPECT_EQ(res["Size-2"], "768");
  EXPECT_FALSE(res.contains("Size"));
  EXPECT_EQ(res["Lora hashes"], "a: 1, b: 2");
  EXPECT_EQ(res["Version"], "v1.6.0");
  // v1.6.0 is older than v1.7.0-225, so the reference's backcompat adds this one.
  EXPECT_EQ(res["Downcast alphas_cumprod"], true);
  EXPECT_FALSE(res.contains("Old prompt editing timelines"));
}

TEST(InfotextParametersTest, ReadsUpresPostprocessInfotexts) {
  const json three = parse_generation_parameters(
      R"(Postprocess upscale by: 4, Postprocess upscaler: R-ESRGAN 4x+, Postprocess upscaler 2: "Swin, IR")");
  EXPECT_EQ(three["Prompt"], "");
  EXPECT_EQ(three["Postprocess upscale by"], "4");
  EXPECT_EQ(three["Postprocess upscaler"], "R-ESRGAN 4x+");
  EXPECT_EQ(three["Postprocess upscaler 2"], "Swin, IR");
  // Fewer than three params on the last line: the reference takes the line as the prompt.
  const json two =
      parse_generation_parameters("Postprocess upscale to: 60x36, Postprocess upscaler: Lanczos");
  EXPECT_EQ(two["Prompt"], "Postprocess upscale to: 60x36, Postprocess upscaler: Lanczos");
  EXPECT_FALSE(two.contains("Postprocess upscaler"));
  const json sized = parse_generation_parameters(
      "Postprocess upscale to: 60x36, Postprocess upscaler: Lanczos, Postprocess crop to: 60x36");
  EXPECT_EQ(sized["Postprocess upscale to-1"], "60");
  EXPECT_EQ(sized["Postprocess crop to-2"], "36");
}

TEST(InfotextParametersTest, AddsTheReferenceDefaults) {
  const json res = parse_generation_parameters("");
  EXPECT_EQ(res["Prompt"], "");
  EXPECT_EQ(res["Negative prompt"], "");
  EXPECT_EQ(res["Clip skip"], "1");
  EXPECT_EQ(res["Hires resize-1"], 0);
  EXPECT_EQ(res["Hires resize-2"], 0);
  EXPECT_EQ(res["Hires sampler"], "Use same sampler");
  EXPECT_EQ(res["Hires checkpoint"], "Use same checkpoint");
  EXPECT_EQ(res["Masked area padding"], 32);
  EXPECT_EQ(res["RNG"], "GPU");
  EXPECT_EQ(res["Schedule type"], "Automatic");
  EXPECT_EQ(res["FP8 weight"], "Disable");
  EXPECT_FALSE(res.contains("Cache FP16 weight for LoRA"));
  EXPECT_FALSE(res.contains("Downcast alphas_cumprod"));  // no Version: no backcompat
  EXPECT_EQ(res.size(), 21u);
}

TEST(InfotextParametersTest, OldHiresFixAndHypernetAsTheReference) {
  const json res = parse_generation_parameters(
      "castle\nSteps: 20, Size: 1024x768, First pass size: 0x0, Hypernet: anime, Clip skip: 2");
  // First pass 0x0: the old automatic first pass of about 512x512 pixels, rounded up to 64.
  EXPECT_EQ(res["Size-1"], 640);
  EXPECT_EQ(res["Size-2"], 448);
  EXPECT_EQ(res["Hires resize-1"], 1024);
  EXPECT_EQ(res["Hires resize-2"], 768);
  EXPECT_EQ(res["Prompt"], "castle<hypernet:anime:1.0>");
  EXPECT_EQ(res["Clip skip"], "2");
}

TEST(InfotextParametersTest, HostileLinesTakeLinearTime) {
  std::string line;
  for (int i = 0; i < 100000; ++i) line += "ab: \"";
  const auto started = std::chrono::steady_clock::now();
  const auto params = find_infotext_params(line);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(params.size(), 1u);  // [^,]* takes the rest: there is no comma
}

}  // namespace
}  // namespace upres::server
