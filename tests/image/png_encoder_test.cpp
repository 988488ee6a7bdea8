// Tests for encode_png: pixel-exact round trips through libvips' decoder and the specification's
// unfiltering for 8/16 bit, 1-4 bands and odd sizes; the same bytes on 1 and 4 threads; ICC, EXIF
// and text read back (by libvips and by PIL); the size against libvips' pngsave; bad input refused.
#include "image/png_encoder.h"

#include <gtest/gtest.h>
#include <vips/vips8>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "fixtures.h"
#include "image/exif_block.h"
#include "image/image_codec.h"
#include "image/png_text_chunks.h"
#include "image/vips_runtime.h"
#include "png_test_support.h"

namespace upres::image {
namespace {

using testing::inflate_idat;
using testing::make_fixture;
using testing::png_chunks;
using testing::read_bytes;
using testing::scratch_dir;
using testing::unfilter_rows;
using testing::write_bytes;

// Smooth ramps with noise on top: filters and deflate both have something to do.
template <typename T>
std::vector<T> make_samples(PngLayout layout, uint32_t seed) {
  std::mt19937 rng(seed);
  const int max_value = sizeof(T) == 1 ? 255 : 65535;
  std::vector<T> samples(static_cast<size_t>(layout.width) * layout.height * layout.bands);
  for (int y = 0; y < layout.height; ++y)
    for (int x = 0; x < layout.width; ++x)
      for (int c = 0; c < layout.bands; ++c) {
        const int ramp = (x * 7 + y * 3 + c * 50) * max_value / 1000;
        const int noise = static_cast<int>(rng() % 9) * (max_value / 255);
        samples[(static_cast<size_t>(y) * layout.width + x) * layout.bands + c] =
            static_cast<T>(std::min(max_value, ramp % (max_value + 1) + noise));
      }
  return samples;
}

template <typename T>
std::vector<uint8_t> encode_or_fail(const std::vector<T>& samples, PngLayout layout, const PngMetadata& metadata = {},
                                    const PngEncodeOptions& options = {}) {
  Result<std::vector<uint8_t>> png = encode_png(std::span<const T>(samples), layout, metadata, options);
  EXPECT_TRUE(png.is_ok()) << png.status().to_string();
  return png.is_ok() ? std::move(png).value() : std::vector<uint8_t>{};
}

// libvips reads back exactly `samples`, and so does the specification's unfiltering of the stream.
template <typename T>
void expect_decodes_to(const std::vector<uint8_t>& png, const std::vector<T>& samples, PngLayout layout) {
  const int max_value = sizeof(T) == 1 ? 255 : 65535;
  Result<Image> image = decode_image(png, "ours.png");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  ASSERT_EQ(image->width(), layout.width);
  ASSERT_EQ(image->height(), layout.height);
  ASSERT_EQ(image->channels(), layout.bands);
  EXPECT_EQ(image->metadata.bits_per_sample, 8 * static_cast<int>(sizeof(T)));
  for (size_t i = 0; i < samples.size(); ++i)
    ASSERT_EQ(std::lround(image->pixels()[i] * max_value), samples[i]) << "sample " << i;
  const size_t bpp = layout.bands * sizeof(T);
  const std::vector<uint8_t> raw = unfilter_rows(inflate_idat(png), layout.width * bpp, bpp);
  ASSERT_EQ(raw.size(), samples.size() * sizeof(T));
  for (size_t i = 0; i < samples.size(); ++i) {
    const unsigned stored = sizeof(T) == 1 ? raw[i] : (raw[2 * i] << 8) | raw[2 * i + 1];  // big-endian
    ASSERT_EQ(stored, samples[i]) << "sample " << i;
  }
}

TEST(PngEncoder, EveryDepthBandCountAndOddSizeDecodesExactly) {
  for (PngLayout size : {PngLayout{1, 1, 0}, PngLayout{1, 37, 0}, PngLayout{41, 1, 0}, PngLayout{13, 7, 0}})
    for (int bands = 1; bands <= 4; ++bands) {
      const PngLayout layout{size.width, size.height, bands};
      SCOPED_TRACE(std::to_string(layout.width) + "x" + std::to_string(layout.height) + "x" + std::to_string(bands));
      const auto narrow = make_samples<uint8_t>(layout, 1);
      expect_decodes_to(encode_or_fail(narrow, layout), narrow, layout);
      const auto wide = make_samples<uint16_t>(layout, 2);
      expect_decodes_to(encode_or_fail(wide, layout), wide, layout);
    }
}

TEST(PngEncoder, ManyBandsJoinIntoOneValidStream) {
  // 300x900 RGB is 813 KB of filtered rows: 4 bands at the default size; 200x400 RGBA16 is 3.
  const PngLayout rgb{300, 900, 3}, rgba{200, 400, 4};
  const auto narrow = make_samples<uint8_t>(rgb, 3);
  expect_decodes_to(encode_or_fail(narrow, rgb), narrow, rgb);
  const auto wide = make_samples<uint16_t>(rgba, 4);
  expect_decodes_to(encode_or_fail(wide, rgba), wide, rgba);
  // One row per band: every row is primed from the rows above and ends in a sync flush.
  for (PngLayout layout : {PngLayout{1, 300, 1}, PngLayout{57, 80, 2}, PngLayout{5000, 3, 3}}) {
    const auto samples = make_samples<uint16_t>(layout, 5);
    expect_decodes_to(encode_or_fail(samples, layout, {}, {.band_bytes = 1}), samples, layout);
  }
}

TEST(PngEncoder, SameBytesOnOneThreadAndOnFour) {
  const PngLayout layout{640, 700, 3};  // 7 bands
  const auto samples = make_samples<uint8_t>(layout, 6);
  const std::vector<uint8_t> one = encode_or_fail(samples, layout, {}, {.threads = 1});
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(encode_or_fail(samples, layout, {}, {.threads = 4}), one);
  EXPECT_EQ(encode_or_fail(samples, layout, {}, {.threads = 3}), one);
  EXPECT_EQ(encode_or_fail(samples, layout, {}, {.threads = 0}), one);
  // The band size shapes the bytes (unlike the threads); a small picture is one band either way.
  EXPECT_NE(encode_or_fail(samples, layout, {}, {.band_bytes = 64 * 1024}), one);
  const PngLayout small{64, 64, 3};
  const auto little = make_samples<uint8_t>(small, 7);
  EXPECT_EQ(encode_or_fail(little, small), encode_or_fail(little, small, {}, {.band_bytes = SIZE_MAX}));
}

TEST(PngEncoder, EveryCompressionLevelDecodesAndHigherLevelsAreSmaller) {
  const PngLayout layout{300, 400, 3};  // 2 bands
  const auto samples = make_samples<uint8_t>(layout, 13);
  size_t stored = 0, fastest = 0, default_level = 0;
  for (int level = 0; level <= 9; ++level) {
    SCOPED_TRACE("level " + std::to_string(level));
    const std::vector<uint8_t> png = encode_or_fail(samples, layout, {}, {.compression_level = level});
    expect_decodes_to(png, samples, layout);
    if (level == 0) stored = png.size();
    if (level == 1) fastest = png.size();
    if (level == 6) default_level = png.size();
  }
  EXPECT_GT(stored, samples.size());  // level 0 stores the filtered rows as they are
  EXPECT_LT(fastest, stored * 3 / 4);
  EXPECT_LT(default_level, fastest);
}

TEST(PngEncoder, EachBandIsPrimedWithTheBytesBeforeIt) {
  // Ten rows of noise repeated: after the first ten, every row matches one 10 rows up, which a
  // band of one row can only reach through the dictionary of the bytes before it.
  const PngLayout layout{100, 200, 3};
  std::vector<uint8_t> samples(static_cast<size_t>(layout.width) * layout.height * layout.bands);
  std::mt19937 rng(12);
  const size_t period = static_cast<size_t>(layout.width) * layout.bands * 10;
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = i < period ? static_cast<uint8_t>(rng()) : samples[i - period];
  const std::vector<uint8_t> one_band = encode_or_fail(samples, layout);
  const std::vector<uint8_t> row_bands = encode_or_fail(samples, layout, {}, {.band_bytes = 1});
  EXPECT_LT(one_band.size(), period * 2);
  // Each one-row band adds a sync-flush marker and a short match; unprimed it would add a noise row.
  EXPECT_LT(row_bands.size(), one_band.size() + layout.height * 24);
  expect_decodes_to(row_bands, samples, layout);
}

TEST(PngEncoder, BigStreamsSpanSeveralIdatChunks) {
  // Noise hardly compresses: about 2.4 MB of stream, so three IDAT chunks of at most 1 MiB.
  const PngLayout layout{1000, 800, 3};
  std::vector<uint8_t> noise(static_cast<size_t>(layout.width) * layout.height * layout.bands);
  std::mt19937 rng(8);
  for (uint8_t& v : noise) v = static_cast<uint8_t>(rng());
  const std::vector<uint8_t> png = encode_or_fail(noise, layout);
  size_t idat_chunks = 0;
  for (const auto& [type, body] : png_chunks(png))
    if (type == "IDAT") {
      ++idat_chunks;
      EXPECT_LE(body.size(), size_t{1} << 20);
    }
  EXPECT_GE(idat_chunks, 3u);
  expect_decodes_to(png, noise, layout);
}

std::vector<uint8_t> test_icc_profile(const std::filesystem::path& dir) {
  if (!make_fixture("icc", dir)) return {};
  return read_bytes(dir / "profile.icc");
}

TEST(PngEncoder, IccExifAndTextReadBackInPlace) {
  const auto dir = scratch_dir();
  const std::vector<uint8_t> profile = test_icc_profile(dir);
  ASSERT_GT(profile.size(), 128u);
  Result<std::vector<uint8_t>> exif = set_exif_user_comment({}, "made by the PNG encoder test");
  ASSERT_TRUE(exif.is_ok());
  const TextChunks text = {{"parameters", "Steps: 20, caf\xC3\xA9"}, {"wide", "check \xE2\x9C\x93"}};
  const PngLayout layout{33, 500, 3};
  const auto samples = make_samples<uint8_t>(layout, 9);
  const std::vector<uint8_t> png = encode_or_fail(samples, layout, {profile, *exif, text}, {.band_bytes = 4096});
  // Metadata before the image data, as libpng orders it (readers that stop at IDAT see it).
  std::vector<std::string> order;
  for (const auto& [type, body] : png_chunks(png))
    if (order.empty() || order.back() != type) order.push_back(type);
  EXPECT_EQ(order, (std::vector<std::string>{"IHDR", "iCCP", "eXIf", "tEXt", "iTXt", "IDAT", "IEND"}));
  for (const auto& [type, body] : png_chunks(png)) {
    if (type == "eXIf") {
      EXPECT_EQ(body, std::vector<uint8_t>(exif->begin() + 6, exif->end()));  // no "Exif\0\0"
    }
  }
  Result<Image> image = decode_image(png, "ours.png");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  EXPECT_EQ(image->metadata.icc_profile, profile);
  EXPECT_EQ(read_exif_user_comment(image->metadata.exif), "made by the PNG encoder test");
  EXPECT_EQ(image->metadata.text, text);
  expect_decodes_to(png, samples, layout);
}

TEST(PngEncoder, PilReadsPixelsAndMetadata) {
  const auto dir = scratch_dir();
  const std::vector<uint8_t> profile = test_icc_profile(dir);
  ASSERT_GT(profile.size(), 128u);
  const std::vector<uint8_t> exif = *set_exif_user_comment({}, "seen by PIL");
  const TextChunks text = {{"parameters", "Steps: 20"}};
  const PngLayout rgba{150, 900, 4};  // 3 bands of rows
  const auto narrow = make_samples<uint8_t>(rgba, 10);
  const PngLayout grey{70, 50, 1};
  const auto wide = make_samples<uint16_t>(grey, 11);
  const std::vector<uint8_t> rgba_png = encode_or_fail(narrow, rgba, {profile, exif, text});
  const std::vector<uint8_t> grey_png = encode_or_fail(wide, grey, {{}, {}, text}, {.band_bytes = 1000});
  const std::pair<const std::vector<uint8_t>*, std::vector<uint16_t>> cases[] = {
      {&rgba_png, std::vector<uint16_t>(narrow.begin(), narrow.end())}, {&grey_png, wide}};
  for (const auto& [png, expected] : cases) {
    write_bytes(dir / "ours.png", *png);
    ASSERT_TRUE(make_fixture("read_png", dir, testing::shell_quote(dir / "ours.png")));
    const std::vector<uint8_t> pixels = read_bytes(dir / "pil_samples.bin");  // uint16 little-endian
    ASSERT_EQ(pixels.size(), expected.size() * 2);
    for (size_t i = 0; i < expected.size(); ++i)
      ASSERT_EQ(pixels[2 * i] | (pixels[2 * i + 1] << 8), expected[i]) << "sample " << i;
    const std::vector<uint8_t> pil_text = read_bytes(dir / "pil_text.bin");
    EXPECT_EQ(std::string(pil_text.begin(), pil_text.end()), std::string("parameters\0Steps: 20\0", 21));
  }
  // The last run was the grey picture; run PIL once more on the one with ICC and EXIF.
  write_bytes(dir / "ours.png", rgba_png);
  ASSERT_TRUE(make_fixture("read_png", dir, testing::shell_quote(dir / "ours.png")));
  EXPECT_EQ(read_bytes(dir / "pil_icc.bin"), profile);
  EXPECT_EQ(read_bytes(dir / "pil_exif.bin"), exif);  // PIL puts back the "Exif\0\0" prefix
}

std::vector<uint8_t> libvips_png(const std::vector<uint8_t>& samples, PngLayout layout, bool all_filters) {
  vips::VImage image = vips::VImage::new_from_memory(const_cast<uint8_t*>(samples.data()), samples.size(),
                                                     layout.width, layout.height, layout.bands, VIPS_FORMAT_UCHAR);
  vips::VOption* options = vips::VImage::option()->set("compression", 6);
  if (all_filters) options->set("filter", VIPS_FOREIGN_PNG_FILTER_ALL);
  VipsBlob* blob = image.pngsave_buffer(options);
  size_t length = 0;
  const auto* data = static_cast<const uint8_t*>(vips_blob_get(blob, &length));
  std::vector<uint8_t> out(data, data + length);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  return out;
}

TEST(PngEncoder, RealPhotosCompressAsLibpngDoes) {
  ASSERT_TRUE(ensure_vips_started().is_ok());
  for (const char* name : {"set5/baby.png", "set14/comic.png"}) {
    Result<Image> photo = read_image(std::string(UPRES_TEST_DATA_DIR) + "/images/" + name);
    ASSERT_TRUE(photo.is_ok()) << photo.status().to_string();
    const PngLayout layout{photo->width(), photo->height(), photo->channels()};
    std::vector<uint8_t> samples(photo->sample_count());
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<uint8_t>(std::lround(photo->pixels()[i] * 255));
    // Forced into many bands, to show what priming each band with the bytes before it keeps.
    const double ours = static_cast<double>(encode_or_fail(samples, layout, {}, {.band_bytes = 32 * 1024}).size());
    // libpng's adaptive filters at level 6: the like-for-like size.
    const double libpng = static_cast<double>(libvips_png(samples, layout, true).size());
    // libvips' pngsave as upres called it before (no filtering, its default).
    const double unfiltered = static_cast<double>(libvips_png(samples, layout, false).size());
    EXPECT_LT(ours, libpng * 1.03) << name;
    EXPECT_GT(ours, libpng * 0.97) << name;
    EXPECT_LT(ours, unfiltered) << name;
    // Bands primed with the 32 KiB before them lose almost nothing to one band (0.1% here;
    // unprimed, 0.6-0.8%).
    const double one_band = static_cast<double>(encode_or_fail(samples, layout, {}, {.band_bytes = SIZE_MAX}).size());
    EXPECT_LT(ours, one_band * 1.004) << name;
  }
}

TEST(PngEncoder, BadPicturesAndMetadataAreInvalidArguments) {
  const std::vector<uint8_t> samples(60, 128);
  auto expect_refused = [&](PngLayout layout, const PngMetadata& metadata, const std::string& words) {
    Result<std::vector<uint8_t>> png = encode_png(samples, layout, metadata);
    ASSERT_FALSE(png.is_ok()) << words;
    EXPECT_EQ(png.status().code(), StatusCode::kInvalidArgument) << png.status().to_string();
    EXPECT_NE(png.status().message().find(words), std::string::npos) << png.status().to_string();
  };
  expect_refused({0, 20, 3}, {}, "0x20");
  expect_refused({20, 0, 3}, {}, "20x0");
  expect_refused({4, 3, 5}, {}, "5 bands");
  expect_refused({20, 1, 0}, {}, "0 bands");
  expect_refused({7, 3, 3}, {}, "60 samples");
  const std::vector<uint8_t> not_tiff = {'E', 'x', 'i', 'f', 0, 0, 'n', 'o', 't', ' ', 't', 'i', 'f', 'f'};
  expect_refused({20, 1, 3}, {.exif = not_tiff}, "not a TIFF");
  const std::vector<uint8_t> short_profile(100, 1);
  expect_refused({20, 1, 3}, {.icc_profile = short_profile}, "ICC profile");
  const TextChunks bad_key = {{"", "value"}};
  expect_refused({20, 1, 3}, {.text = bad_key}, "Latin-1");
  Result<std::vector<uint8_t>> level = encode_png(samples, {20, 1, 3}, {}, {.compression_level = 10});
  EXPECT_EQ(level.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(level.status().message().find("compression level 10"), std::string::npos);
  const std::vector<uint16_t> wide(60, 1);
  EXPECT_FALSE(encode_png(wide, {10, 3, 3}, {}).is_ok());
  EXPECT_TRUE(encode_png(wide, {10, 3, 2}, {}).is_ok());
}

TEST(PngEncoder, ColourProfileOnAGreyPictureIsRefusedHereAndLeftOutByEncodeImage) {
  const std::vector<uint8_t> profile = test_icc_profile(scratch_dir());
  ASSERT_GT(profile.size(), 128u);
  EXPECT_TRUE(icc_profile_fits_png(profile, 3));
  EXPECT_TRUE(icc_profile_fits_png(profile, 4));
  EXPECT_FALSE(icc_profile_fits_png(profile, 1));
  std::vector<uint8_t> cut = profile;
  cut.resize(cut.size() - 4);  // the header's length no longer matches
  EXPECT_FALSE(icc_profile_fits_png(cut, 3));
  const std::vector<uint8_t> samples(20, 9);
  EXPECT_EQ(encode_png(samples, {5, 4, 1}, {.icc_profile = profile}).status().code(), StatusCode::kInvalidArgument);
  // encode_image saves the picture without it, as libpng did under libvips.
  Image grey(5, 4, 1);
  grey.metadata.icc_profile = profile;
  grey.metadata.exif = {'j', 'u', 'n', 'k'};
  Result<std::vector<uint8_t>> png = encode_image(grey, {.format = ImageFormat::kPng});
  ASSERT_TRUE(png.is_ok()) << png.status().to_string();
  for (const auto& [type, body] : png_chunks(*png)) {
    EXPECT_NE(type, "iCCP");
    EXPECT_NE(type, "eXIf");
  }
}

}  // namespace
}  // namespace upres::image
