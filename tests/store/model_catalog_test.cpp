// The real catalog: well-formed names, hashes and URLs, and the npm files models.sh installs.
#include "store/model_catalog.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace upres::store {
namespace {

bool is_sha256_hex(std::string_view text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

const CatalogEntry* entry(std::string_view name) {
  for (const CatalogEntry& e : model_catalog()) {
    if (e.display_name == name) return &e;
  }
  return nullptr;
}

TEST(ModelCatalogTest, EntriesAreWellFormed) {
  std::set<std::string_view> names;
  for (const CatalogEntry& e : model_catalog()) {
    SCOPED_TRACE(std::string(e.display_name));
    EXPECT_TRUE(names.insert(e.display_name).second) << "duplicate name";
    EXPECT_FALSE(e.folder.empty());
    EXPECT_FALSE(e.architecture.empty());
    EXPECT_GE(e.native_scale, 1);
    ASSERT_FALSE(e.variants.empty());
    for (const CatalogVariant& v : e.variants) {
      ASSERT_FALSE(v.files.empty());
      bool from_npm = v.source.starts_with("npm:");
      EXPECT_TRUE(from_npm || v.source == "url") << v.source;
      if (v.format == ModelFormat::kNcnn) {
        ASSERT_EQ(v.files.size(), 2u);
        EXPECT_TRUE(v.files[0].name.ends_with(".param"));
        EXPECT_TRUE(v.files[1].name.ends_with(".bin"));
      }
      for (const CatalogFile& f : v.files) {
        EXPECT_FALSE(f.name.empty());
        EXPECT_TRUE(f.sha256.empty() || is_sha256_hex(f.sha256)) << f.name;
        if (from_npm) {  // computed from the pinned tarballs: always known
          EXPECT_TRUE(f.url.empty()) << f.name;
          EXPECT_TRUE(is_sha256_hex(f.sha256)) << f.name;
          EXPECT_GT(f.size_bytes, 0u) << f.name;
        } else {
          EXPECT_TRUE(f.url.starts_with("https://")) << f.url;
        }
      }
    }
  }
}

TEST(ModelCatalogTest, HasTheReferenceUiNamesAndDefaults) {
  for (std::string_view name : {"ESRGAN_4x", "R-ESRGAN 4x+", "R-ESRGAN 4x+ Anime6B", "R-ESRGAN 2x+",
                                "R-ESRGAN General 4xV3", "R-ESRGAN General WDN 4xV3",
                                "R-ESRGAN AnimeVideo", "SwinIR 4x", "DAT x4", "GFPGAN", "CodeFormer"}) {
    EXPECT_NE(entry(name), nullptr) << name;
  }
  const CatalogEntry* plus = entry("R-ESRGAN 4x+");
  ASSERT_NE(plus, nullptr);
  EXPECT_EQ(plus->folder, "RealESRGAN");
  EXPECT_EQ(plus->native_scale, 4);
  EXPECT_EQ(plus->variants[0].format, ModelFormat::kNcnn);
  EXPECT_EQ(plus->variants[0].files[0].name, "realesrgan-x4plus.param");
  ASSERT_GE(plus->variants.size(), 2u);
  EXPECT_EQ(plus->variants[1].files[0].url,
            "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/RealESRGAN_x4plus.pth");
  const CatalogEntry* gfpgan = entry("GFPGAN");
  ASSERT_NE(gfpgan, nullptr);
  EXPECT_EQ(gfpgan->kind, ModelKind::kFaceRestorer);
}

}  // namespace
}  // namespace upres::store
