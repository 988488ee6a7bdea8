// --precision for the face restorers: the compute type chosen per restorer, precision and CPU answer
// (face_restore_dtype with a stand-in restorer for every combination; FaceModels::restore_dtype with
// the random-weight GFPGAN and CodeFormer files against what this CPU's backend says, so a run
// under ONEDNN_MAX_CPU_ISA=AVX512_CORE and one under AVX512_CORE_BF16 see both answers).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/backend_registry.h"
#include "model_test_support.h"
#include "pipeline/face_models.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

// Says whether it is faithful in bf16; never asked to restore.
class FlaggedRestorer : public models::FaceRestorer {
 public:
  explicit FlaggedRestorer(bool faithful) : faithful_(faithful) {}
  std::string architecture() const override { return "GFPGAN"; }
  bool is_faithful_in_bf16() const override { return faithful_; }
  Result<engine::Tensor> restore(const engine::Tensor&, const models::FaceRestoreOptions&) override {
    return unsupported("not a network");
  }

 private:
  bool faithful_;
};

TEST(FaceRestoreDtype, ExplicitPrecisionWinsAndAutoNeedsFastBf16AndAFaithfulRestorer) {
  for (bool faithful : {false, true}) {
    const FlaggedRestorer restorer(faithful);
    for (DType fastest : {DType::kF32, DType::kBF16}) {
      SCOPED_TRACE(std::string(faithful ? "faithful" : "not faithful") + ", backend fastest " +
                   std::string(dtype_name(fastest)));
      EXPECT_EQ(face_restore_dtype(Precision::kF32, fastest, restorer), DType::kF32);
      EXPECT_EQ(face_restore_dtype(Precision::kBF16, fastest, restorer), DType::kBF16);
      const bool bf16 = faithful && fastest == DType::kBF16;
      EXPECT_EQ(face_restore_dtype(Precision::kAuto, fastest, restorer), bf16 ? DType::kBF16 : DType::kF32);
    }
  }
}

// What precision auto runs each restorer in where bf16 outruns fp32, as measured on random weights
// of the released shapes (bench/README.md "Face restorers in bf16"): fp32 for both.
TEST(FaceRestoreDtype, AutoKeepsGfpganAndCodeFormerInFp32) {
  EXPECT_FALSE(models::face_restorer_is_faithful_in_bf16("GFPGAN"));
  EXPECT_FALSE(models::face_restorer_is_faithful_in_bf16("CodeFormer"));
  EXPECT_FALSE(models::face_restorer_is_faithful_in_bf16("SomethingElse"));
}

TEST(FaceModelsPrecision, EachRestorerRunsInWhatItsPrecisionAndThisCpuGive) {
  auto gfpgan = models::testing::ensure_fixtures("gfpgan_torch.py", "gfpgan_fixtures");
  if (!gfpgan.is_ok()) GTEST_SKIP() << gfpgan.status().message();
  auto codeformer = models::testing::ensure_fixtures("codeformer_torch.py", "codeformer_fixtures");
  if (!codeformer.is_ok()) GTEST_SKIP() << codeformer.status().message();
  auto backend = engine::create_backend("cpu");
  if (!backend.is_ok()) GTEST_SKIP() << "no cpu backend: " << backend.status().to_string();
  const DType fastest = (*backend)->fastest_compute_dtype();

  for (Precision precision : {Precision::kAuto, Precision::kF32, Precision::kBF16}) {
    FaceModelOptions options;
    options.gfpgan = (*gfpgan / "gfpgan512_narrow16.pth").string();
    options.codeformer = (*codeformer / "codeformer.pth").string();
    options.precision = precision;
    FaceModels faces(options);
    for (FaceRestorerKind kind : {FaceRestorerKind::kGfpgan, FaceRestorerKind::kCodeFormer}) {
      SCOPED_TRACE(std::string(face_restorer_label(kind)) + ", precision " + std::to_string(static_cast<int>(precision)));
      auto dtype = faces.restore_dtype(kind);
      ASSERT_TRUE(dtype.is_ok()) << dtype.status().to_string();
      auto restorer = faces.restorer(kind);
      ASSERT_TRUE(restorer.is_ok());
      EXPECT_EQ((*restorer)->architecture(), face_restorer_label(kind));
      DType expected = precision == Precision::kBF16 ? DType::kBF16 : DType::kF32;
      if (precision == Precision::kAuto && fastest == DType::kBF16 &&
          models::face_restorer_is_faithful_in_bf16(face_restorer_label(kind)))
        expected = DType::kBF16;
      EXPECT_EQ(*dtype, expected);
    }
  }
}

TEST(FaceModelsPrecision, AMissingRestorerFileIsAnErrorNotAType) {
  FaceModelOptions options;
  options.gfpgan = "/nonexistent/GFPGANv1.4.pth";
  options.models_dir = "/nonexistent/models";
  FaceModels faces(options);
  auto dtype = faces.restore_dtype(FaceRestorerKind::kGfpgan);
  ASSERT_FALSE(dtype.is_ok());
  EXPECT_NE(dtype.status().to_string().find("--gfpgan-model"), std::string::npos) << dtype.status().to_string();
}

}  // namespace
}  // namespace upres::pipeline
