// The real community .pth files setup installs (OmniSR 4x_WTP_descreenton, compact 2x-AniScale,
// old-arch RRDBNet 4x-NMKD-YandereNeo-Superlite) keep >= 45 dB against fp32 when run in bf16, the
// promise `--precision auto` relies on when it picks bf16 for their families
// (UpscaleModel::is_faithful_in_bf16). Random weights say little about bf16 sensitivity; these are
// real ones, on a real photo crop (the OmniSR fixture set's crop of baby.png).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/upscale_model.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;

constexpr double kMinBf16Psnr = 45.0;

const testing::FamilyFixtures& omnisr_fixtures() {
  static const auto* f = new testing::FamilyFixtures(
      "omnisr_torch.py", "omnisr_fixtures",
      "--image " + testing::baby_png().string() + " --real-models " + testing::npm_models_dir().string());
  return *f;
}

class CommunityModelBf16Test : public ::testing::TestWithParam<std::string> {};

TEST_P(CommunityModelBf16Test, StaysWithin45DbOfFp32) {
  const fs::path path = testing::npm_models_dir() / (GetParam() + ".pth");
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent (scripts/setup.sh installs it from waifu2x@1.6.5)";
  if (!omnisr_fixtures().skip_reason().empty()) GTEST_SKIP() << omnisr_fixtures().skip_reason();
  const nlohmann::json* c = omnisr_fixtures().find("real", "real_4x_WTP_descreenton");
  ASSERT_NE(c, nullptr) << "the OmniSR fixture set has no real-photo crop";
  const nlohmann::json& run = c->at("runs")[0];
  engine::Shape shape;
  for (const auto& d : run["input"]["shape"]) shape.push_back(d.get<int64_t>());
  auto input = testing::read_f32_tensor(omnisr_fixtures().dir() / run["input"]["file"].get<std::string>(), shape);
  ASSERT_TRUE(input.is_ok()) << input.status().to_string();
  auto model = load_upscale_model(path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_TRUE((*model)->is_faithful_in_bf16()) << "auto would keep " << (*model)->architecture() << " in fp32";

  auto fp32 = testing::run_model(**model, "cpu", *input, DType::kF32);
  ASSERT_TRUE(fp32.is_ok()) << fp32.status().to_string();
  auto bf16 = testing::run_model(**model, "cpu", *input, DType::kBF16);
  if (!bf16.is_ok() && bf16.status().code() == StatusCode::kUnsupported) {
    GTEST_SKIP() << "this CPU lacks avx512_bf16 (or oneDNN is capped below it): " << bf16.status().to_string();
  }
  ASSERT_TRUE(bf16.is_ok()) << bf16.status().to_string();
  const double db = testing::psnr(bf16->output, fp32->output);
  std::printf("[ %s ] %s bf16: %.2f dB vs fp32\n", GetParam().c_str(), (*model)->architecture().c_str(), db);
  EXPECT_GE(db, kMinBf16Psnr);
}

INSTANTIATE_TEST_SUITE_P(Waifu2xPackage, CommunityModelBf16Test,
                         ::testing::Values("4x_WTP_descreenton", "2x-AniScale", "4x-NMKD-YandereNeo-Superlite"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-' || ch == '.') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace upres::models
