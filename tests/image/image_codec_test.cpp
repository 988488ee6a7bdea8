// Tests for decode_image / encode_image: alpha, 16-bit, grey, ICC, EXIF, text chunks, UserComment,
// broken input and the pixel limit. Fixtures come from PIL at test time (make_fixtures.py).
#include "image/image_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>

#include "fixtures.h"
#include "image/exif_block.h"

namespace upres::image {
namespace {

using testing::make_fixture;
using testing::read_bytes;
using testing::scratch_dir;
using testing::write_bytes;

// An image whose samples are k/denominator for distinct k, so any mix-up shows.
Image make_pattern(int width, int height, int channels, int denominator) {
  Image image(width, height, channels);
  for (size_t i = 0; i < image.sample_count(); ++i)
    image.pixels()[i] = static_cast<float>((i * 37 + 11) % (denominator + 1)) / denominator;
  return image;
}

Image round_trip(const Image& image, EncodeOptions options) {
  Result<std::vector<uint8_t>> encoded = encode_image(image, options);
  EXPECT_TRUE(encoded.is_ok()) << encoded.status().to_string();
  if (!encoded.is_ok()) return {};
  Result<Image> decoded = decode_image(*encoded, "round-trip");
  EXPECT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  return decoded.is_ok() ? std::move(decoded).value() : Image();
}

void expect_same_samples(const Image& a, const Image& b) {
  ASSERT_EQ(a.width(), b.width());
  ASSERT_EQ(a.height(), b.height());
  ASSERT_EQ(a.channels(), b.channels());
  for (size_t i = 0; i < a.sample_count(); ++i)
    ASSERT_EQ(a.pixels()[i], b.pixels()[i]) << "sample " << i;
}

bool contains(const std::vector<uint8_t>& bytes, std::string_view needle) {
  return std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end();
}

TEST(ImageCodec, RgbaPngKeepsAlphaExactly) {
  const Image image = make_pattern(7, 5, 4, 255);
  expect_same_samples(round_trip(image, {.format = ImageFormat::kPng}), image);
}

TEST(ImageCodec, GreyAlphaPngStaysTwoChannels) {
  const Image image = make_pattern(6, 4, 2, 255);
  expect_same_samples(round_trip(image, {.format = ImageFormat::kPng}), image);
}

TEST(ImageCodec, GreyStaysOneChannelInPngAndJpeg) {
  const Image image = make_pattern(8, 8, 1, 255);
  expect_same_samples(round_trip(image, {.format = ImageFormat::kPng}), image);
  EXPECT_EQ(round_trip(image, {.format = ImageFormat::kJpeg}).channels(), 1);
}

TEST(ImageCodec, SixteenBitPngAndTiffKeepEverySample) {
  Image image = make_pattern(5, 3, 3, 65535);
  image.at(0, 0, 0) = 12345.0f / 65535.0f;
  image.metadata.bits_per_sample = 16;
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kTiff}) {
    const Image back = round_trip(image, {.format = format});
    EXPECT_EQ(back.metadata.bits_per_sample, 16) << format_extension(format);
    EXPECT_EQ(back.at(0, 0, 0), 12345.0f / 65535.0f) << format_extension(format);
    expect_same_samples(back, image);
  }
}

TEST(ImageCodec, SixteenBitRgbaTiffKeepsAlpha) {
  Image image = make_pattern(4, 4, 4, 65535);
  image.metadata.bits_per_sample = 16;
  expect_same_samples(round_trip(image, {.format = ImageFormat::kTiff}), image);
}

TEST(ImageCodec, EightBitTiffAndLosslessWebpAreExact) {
  const Image rgb = make_pattern(9, 4, 3, 255);
  expect_same_samples(round_trip(rgb, {.format = ImageFormat::kTiff}), rgb);
  const Image rgba = make_pattern(9, 4, 4, 255);
  const Image back = round_trip(rgba, {.format = ImageFormat::kWebp, .lossless = true});
  EXPECT_EQ(back.metadata.bits_per_sample, 8);
  expect_same_samples(back, rgba);
}

TEST(ImageCodec, JpegQualityChangesTheSize) {
  const Image image = make_pattern(64, 64, 3, 255);
  auto high = encode_image(image, {.format = ImageFormat::kJpeg, .quality = 95});
  auto low = encode_image(image, {.format = ImageFormat::kJpeg, .quality = 20});
  ASSERT_TRUE(high.is_ok() && low.is_ok());
  EXPECT_GT(high->size(), low->size());
  EXPECT_FALSE(encode_image(image, {.format = ImageFormat::kJpeg, .quality = 0}).is_ok());
}

std::vector<uint8_t> icc_profile_for_test(const std::filesystem::path& dir) {
  for (const char* path : {"/usr/share/color/icc/ghostscript/srgb.icc",
                           "/usr/share/color/icc/sRGB.icc", "/usr/share/color/icc/colord/sRGB.icc"})
    if (std::filesystem::exists(path)) return read_bytes(path);
  if (!make_fixture("icc", dir)) return {};
  return read_bytes(dir / "profile.icc");
}

TEST(ImageCodec, IccProfileBytesSurviveEveryFormat) {
  const std::vector<uint8_t> profile = icc_profile_for_test(scratch_dir());
  ASSERT_GT(profile.size(), 128u);
  Image image = make_pattern(8, 8, 3, 255);
  image.metadata.icc_profile = profile;
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp, ImageFormat::kTiff}) {
    const Image back = round_trip(image, {.format = format});
    EXPECT_EQ(back.metadata.icc_profile, profile) << format_extension(format);
  }
}

TEST(ImageCodec, ExifOrientationIsAppliedAndResetAndTheRestKept) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("exif_jpeg", dir));
  Result<Image> image = read_image(dir / "rotated.jpg");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  // 40x20 with the left half red, Orientation 6 (rotate 90 clockwise): 20x40, top half red.
  ASSERT_EQ(image->width(), 20);
  ASSERT_EQ(image->height(), 40);
  EXPECT_GT(image->at(10, 5, 0), 0.9f);
  EXPECT_LT(image->at(10, 5, 2), 0.1f);
  EXPECT_GT(image->at(10, 35, 2), 0.9f);
  EXPECT_LT(image->at(10, 35, 0), 0.1f);
  EXPECT_EQ(exif_orientation(image->metadata.exif), 1);
  EXPECT_TRUE(contains(image->metadata.exif, "upres-test"));
  // Saved and read again: no second rotation, the Make tag still there.
  for (ImageFormat format : {ImageFormat::kJpeg, ImageFormat::kPng, ImageFormat::kWebp}) {
    const Image back = round_trip(*image, {.format = format});
    EXPECT_EQ(back.width(), 20) << format_extension(format);
    EXPECT_EQ(back.height(), 40) << format_extension(format);
    EXPECT_TRUE(contains(back.metadata.exif, "upres-test")) << format_extension(format);
    EXPECT_NE(exif_orientation(back.metadata.exif).value_or(1), 6) << format_extension(format);
  }
}

TEST(ImageCodec, SizeFromTheHeaderFollowsTheOrientation) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("exif_jpeg", dir));
  Result<std::pair<int, int>> size = read_image_size(dir / "rotated.jpg");  // stored 40x20, Orientation 6
  ASSERT_TRUE(size.is_ok()) << size.status().to_string();
  EXPECT_EQ(*size, std::make_pair(20, 40));
  std::ofstream(dir / "broken.png") << "not an image";
  EXPECT_FALSE(read_image_size(dir / "broken.png").is_ok());
  EXPECT_FALSE(read_image_size(dir / "missing.png").is_ok());
}

TEST(ImageCodec, PngTextChunksRoundTripInOrder) {
  Image image = make_pattern(4, 4, 3, 255);
  image.metadata.text = {{"zeta", "first"},
                         {"parameters", "Steps: 20, Prompt: \"caf\xC3\xA9 \xE2\x9C\x93\""},
                         {"postprocessing", "Postprocess upscale by: 4, Postprocess upscaler: Lanczos"},
                         {"alpha", "latin caf\xC3\xA9\nsecond line"}};
  const auto dir = scratch_dir();
  auto encoded = encode_image(image, {.format = ImageFormat::kPng});
  ASSERT_TRUE(encoded.is_ok());
  auto back = decode_image(*encoded, "text.png");
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->metadata.text, image.metadata.text);
  // PIL (the reference UI's reader) sees the same text, CRCs included.
  write_bytes(dir / "ours.png", *encoded);
  ASSERT_TRUE(make_fixture("read_png_text", dir, testing::shell_quote(dir / "ours.png")));
  std::string expected;
  for (const auto& [k, v] : image.metadata.text) expected += k + '\0' + v + '\0';
  const std::vector<uint8_t> pil = read_bytes(dir / "pil_text.bin");
  EXPECT_EQ(std::string(pil.begin(), pil.end()), expected);
}

TEST(ImageCodec, ReadsPilTextZtxtAndItxtChunks) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("png_text", dir));
  auto image = read_image(dir / "text.png");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  const auto& meta = image->metadata;
  ASSERT_EQ(meta.text.size(), 5u);
  EXPECT_EQ(meta.text[0].first, "parameters");
  EXPECT_EQ(*meta.find_text("parameters"), "Steps: 20, Sampler: Euler a");
  EXPECT_EQ(*meta.find_text("latin"), "caf\xC3\xA9");
  EXPECT_EQ(*meta.find_text("unicode"), "check \xE2\x9C\x93 done");
  EXPECT_EQ(*meta.find_text("packed"), std::string(200, 'z'));
  std::string uber;
  for (int i = 0; i < 50; ++i) uber += "\xC3\xBC" "ber ";
  EXPECT_EQ(*meta.find_text("packed_itxt"), uber);
}

TEST(ImageCodec, JpegAndWebpCarryTheInfotextInUserComment) {
  Image image = make_pattern(8, 8, 3, 255);
  image.metadata.text = {{"parameters", "source params"},
                         {"postprocessing", "Postprocess upscale by: 4, Postprocess upscaler: Caf\xC3\xA9 \xE2\x9C\x93"}};
  const auto dir = scratch_dir();
  for (ImageFormat format : {ImageFormat::kJpeg, ImageFormat::kWebp}) {
    const Image back = round_trip(image, {.format = format});
    ASSERT_NE(back.metadata.find_text("parameters"), nullptr) << format_extension(format);
    EXPECT_EQ(*back.metadata.find_text("parameters"), image.metadata.text[1].second);
    // The reference UI (PIL + piexif's UserComment.load) reads the same text.
    auto encoded = encode_image(image, {.format = format});
    ASSERT_TRUE(encoded.is_ok());
    const auto path = dir / (std::string("ours.") + std::string(format_extension(format)));
    write_bytes(path, *encoded);
    ASSERT_TRUE(make_fixture("read_user_comment", dir, testing::shell_quote(path)));
    const std::vector<uint8_t> pil = read_bytes(dir / "pil_comment.txt");
    EXPECT_EQ(std::string(pil.begin(), pil.end()), image.metadata.text[1].second) << format_extension(format);
  }
  image.metadata.text = {{"parameters", "only params"}};
  const Image back = round_trip(image, {.format = ImageFormat::kJpeg});
  ASSERT_NE(back.metadata.find_text("parameters"), nullptr);
  EXPECT_EQ(*back.metadata.find_text("parameters"), "only params");
}

TEST(ImageCodec, ReadsTheReferenceUiUserComment) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("user_comment_jpeg", dir));
  auto image = read_image(dir / "piexif_style.jpg");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  const std::vector<uint8_t> text = read_bytes(dir / "piexif_style.txt");
  ASSERT_NE(image->metadata.find_text("parameters"), nullptr);
  EXPECT_EQ(*image->metadata.find_text("parameters"), std::string(text.begin(), text.end()));
}

TEST(ImageCodec, TruncatedFilesAreCorruptAndNameTheFile) {
  const Image image = make_pattern(64, 64, 3, 255);
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg}) {
    auto encoded = encode_image(image, {.format = format});
    ASSERT_TRUE(encoded.is_ok());
    encoded->resize(encoded->size() / 2);
    auto result = decode_image(*encoded, "cut-in-half.img");
    ASSERT_FALSE(result.is_ok()) << format_extension(format);
    EXPECT_EQ(result.status().code(), StatusCode::kCorrupt) << result.status().to_string();
    EXPECT_NE(result.status().message().find("cut-in-half.img"), std::string::npos);
  }
}

TEST(ImageCodec, TextFileAndEmptyFileAreRefusedClearly) {
  const std::string text = "hello, this is not an image\n";
  auto result = decode_image({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, "notes.txt");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(result.status().message().find("notes.txt"), std::string::npos);
  EXPECT_NE(result.status().message().find("not an image"), std::string::npos);
  auto empty = decode_image({}, "empty.png");
  ASSERT_FALSE(empty.is_ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(empty.status().message().find("empty.png"), std::string::npos);
}

TEST(ImageCodec, MissingFileIsAnErrorNamingThePath) {
  auto result = read_image("/nonexistent/upres/photo.png");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("/nonexistent/upres/photo.png"), std::string::npos);
}

TEST(ImageCodec, PixelLimitRefusesBeforeDecoding) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("bomb_png", dir));
  auto result = read_image(dir / "bomb.png", {.max_pixels = 16383LL * 16383});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(result.status().message().find("20000x20000"), std::string::npos);
  EXPECT_NE(result.status().message().find("bomb.png"), std::string::npos);
  auto encoded = encode_image(make_pattern(5, 3, 3, 255), {});
  ASSERT_TRUE(encoded.is_ok());
  EXPECT_FALSE(decode_image(*encoded, "small", {.max_pixels = 14}).is_ok());
  EXPECT_TRUE(decode_image(*encoded, "small", {.max_pixels = 15}).is_ok());
}

TEST(ImageCodec, GifGivesTheFirstFrame) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("gif", dir));
  auto image = read_image(dir / "frames.gif");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  EXPECT_EQ(image->width(), 16);
  EXPECT_EQ(image->height(), 8);
  EXPECT_EQ(image->channels(), 3);  // no transparency in the file, so no alpha
  EXPECT_GT(image->at(3, 3, 0), 0.99f);
  EXPECT_LT(image->at(3, 3, 2), 0.01f);
  auto holes = read_image(dir / "transparent.gif");
  ASSERT_TRUE(holes.is_ok()) << holes.status().to_string();
  ASSERT_EQ(holes->channels(), 4);
  EXPECT_EQ(holes->at(2, 2, 3), 0.0f);
  EXPECT_EQ(holes->at(12, 2, 3), 1.0f);
  EXPECT_EQ(holes->at(12, 2, 1), 1.0f);
}

TEST(ImageCodec, BmpDecodesExactly) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("bmp", dir));
  auto image = read_image(dir / "image.bmp");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  const std::vector<uint8_t> raw = read_bytes(dir / "image_rgb.bin");
  ASSERT_EQ(image->width(), 7);
  ASSERT_EQ(image->height(), 5);
  ASSERT_EQ(image->channels(), 3);
  for (size_t i = 0; i < raw.size(); ++i)
    ASSERT_EQ(static_cast<int>(image->pixels()[i] * 255.0f + 0.5f), raw[i]) << "sample " << i;
}

TEST(ImageCodec, CmykJpegBecomesRgb) {
  const auto dir = scratch_dir();
  ASSERT_TRUE(make_fixture("cmyk_jpeg", dir));
  auto image = read_image(dir / "cmyk.jpg");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  ASSERT_EQ(image->channels(), 3);
  EXPECT_LT(image->at(4, 4, 0), 0.2f);  // cyan: no red, full green and blue
  EXPECT_GT(image->at(4, 4, 1), 0.6f);
  EXPECT_GT(image->at(4, 4, 2), 0.6f);
  EXPECT_TRUE(image->metadata.icc_profile.empty());
}

// Damaged files are untrusted input: every mutation must give an image or a Status, never a crash.
TEST(ImageCodec, MutatedFilesNeverCrash) {
  Image image = make_pattern(24, 16, 4, 255);
  image.metadata.text = {{"parameters", "a: 1, b"}, {"wide", "\xE2\x9C\x93"}};
  image.metadata.exif = set_exif_user_comment({}, "comment").value();
  std::mt19937 rng(1234);
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp, ImageFormat::kTiff}) {
    auto encoded = encode_image(image, {.format = format});
    ASSERT_TRUE(encoded.is_ok());
    int failures = 0;
    for (int round = 0; round < 150; ++round) {
      std::vector<uint8_t> bytes = *encoded;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      if (round % 5 == 0) bytes.resize(rng() % bytes.size());
      auto result = decode_image(bytes, "mutated");
      if (!result.is_ok()) {
        ++failures;
        EXPECT_NE(result.status().message().find("mutated"), std::string::npos) << result.status().to_string();
      }
    }
    EXPECT_GT(failures, 0) << format_extension(format);
  }
}

TEST(ImageCodec, FormatNames) {
  EXPECT_EQ(parse_image_format("JPEG").value(), ImageFormat::kJpeg);
  EXPECT_EQ(parse_image_format("jpg").value(), ImageFormat::kJpeg);
  EXPECT_EQ(parse_image_format("Tif").value(), ImageFormat::kTiff);
  EXPECT_EQ(parse_image_format("webp").value(), ImageFormat::kWebp);
  EXPECT_EQ(parse_image_format("png").value(), ImageFormat::kPng);
  EXPECT_EQ(parse_image_format("gif").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(format_extension(ImageFormat::kJpeg), "jpg");
  EXPECT_EQ(format_extension(ImageFormat::kTiff), "tiff");
}

}  // namespace
}  // namespace upres::image
