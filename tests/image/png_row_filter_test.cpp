// Tests for PngRowFilter: every filter is undone exactly by the specification's decoder, the
// choice is the smallest signed sum (ties to the earlier filter) computed here the plain way, and
// on a real photo every row gets the filter libpng (through libvips' pngsave) gives it.
#include "image/png_row_filter.h"

#include <gtest/gtest.h>
#include <vips/vips8>

#include <cstdlib>
#include <random>
#include <vector>

#include "image/image_codec.h"
#include "image/png_encoder.h"
#include "image/vips_runtime.h"
#include "png_test_support.h"

namespace upres::image {
namespace {

using testing::filter_types;
using testing::inflate_idat;
using testing::unfilter_rows;

// The filtered row for `type`, straight from the PNG specification's predictors.
std::vector<uint8_t> reference_filter(int type, const std::vector<uint8_t>& above, const std::vector<uint8_t>& row,
                                      size_t bpp) {
  std::vector<uint8_t> out(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    const int a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    const int predictors[5] = {0, a, b, (a + b) / 2, pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)};
    out[i] = static_cast<uint8_t>(row[i] - predictors[type]);
  }
  return out;
}

int reference_choice(const std::vector<uint8_t>& above, const std::vector<uint8_t>& row, size_t bpp) {
  int best = 0;
  long best_sum = -1;
  for (int type = 0; type < 5; ++type) {
    long sum = 0;
    for (uint8_t v : reference_filter(type, above, row, bpp)) sum += std::abs(static_cast<int8_t>(v));
    if (best_sum < 0 || sum < best_sum) best = type, best_sum = sum;
  }
  return best;
}

// Rows of several kinds (noise, smooth ramps, copies of the row above, flat) so every filter wins
// somewhere.
std::vector<uint8_t> next_row(std::mt19937& rng, const std::vector<uint8_t>& above, int kind) {
  std::vector<uint8_t> row(above.size());
  for (size_t i = 0; i < row.size(); ++i) {
    const uint8_t noise = static_cast<uint8_t>(rng() % 7);
    switch (kind) {
      case 0: row[i] = static_cast<uint8_t>(rng()); break;
      case 1: row[i] = static_cast<uint8_t>(i * 3 + noise); break;
      case 2: row[i] = static_cast<uint8_t>(above[i] + noise / 3); break;
      case 3: row[i] = static_cast<uint8_t>((above[i] + i) / 2 + noise); break;
      default: row[i] = 77; break;
    }
  }
  return row;
}

TEST(PngRowFilter, EveryRowUndoesExactlyAndTakesTheSmallestSum) {
  std::mt19937 rng(7);
  int wins[5] = {};
  for (size_t bpp : {1, 2, 3, 4, 6, 8}) {
    const size_t row_bytes = bpp * 23;
    PngRowFilter filter(row_bytes, static_cast<int>(bpp));
    std::vector<uint8_t> above(row_bytes, 0), filtered;
    for (int y = 0; y < 60; ++y) {
      const std::vector<uint8_t> row = next_row(rng, above, static_cast<int>(rng() % 5));
      std::vector<uint8_t> out(row_bytes + 1);
      const PngFilter chosen = filter.filter(y == 0 ? nullptr : above.data(), row.data(), out.data());
      ASSERT_EQ(out[0], static_cast<uint8_t>(chosen));
      ASSERT_EQ(static_cast<int>(chosen), reference_choice(above, row, bpp)) << "bpp " << bpp << " row " << y;
      const std::vector<uint8_t> expected = reference_filter(out[0], above, row, bpp);
      ASSERT_EQ(std::vector<uint8_t>(out.begin() + 1, out.end()), expected) << "bpp " << bpp << " row " << y;
      ++wins[out[0]];
      filtered.insert(filtered.end(), out.begin(), out.end());
      above = row;
    }
    // The decoder's view: the whole filtered picture unfilters back to the last row.
    const std::vector<uint8_t> raw = unfilter_rows(filtered, row_bytes, bpp);
    ASSERT_EQ(std::vector<uint8_t>(raw.end() - static_cast<long>(row_bytes), raw.end()), above);
  }
  for (int type = 0; type < 5; ++type) EXPECT_GT(wins[type], 0) << "filter " << type << " never chosen";
}

std::vector<uint8_t> libvips_png_all_filters(const std::vector<uint8_t>& samples, int width, int height, int bands) {
  vips::VImage image = vips::VImage::new_from_memory(const_cast<uint8_t*>(samples.data()), samples.size(), width,
                                                     height, bands, VIPS_FORMAT_UCHAR);
  VipsBlob* blob = image.pngsave_buffer(
      vips::VImage::option()->set("compression", 6)->set("filter", VIPS_FOREIGN_PNG_FILTER_ALL));
  size_t length = 0;
  const auto* data = static_cast<const uint8_t*>(vips_blob_get(blob, &length));
  std::vector<uint8_t> out(data, data + length);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  return out;
}

TEST(PngRowFilter, ChoosesWhatLibpngChoosesOnARealPhoto) {
  ASSERT_TRUE(ensure_vips_started().is_ok());
  for (const char* name : {"set5/baby.png", "set14/comic.png"}) {
    Result<Image> photo = read_image(std::string(UPRES_TEST_DATA_DIR) + "/images/" + name);
    ASSERT_TRUE(photo.is_ok()) << photo.status().to_string();
    const int width = photo->width(), height = photo->height(), bands = photo->channels();
    std::vector<uint8_t> samples(photo->sample_count());
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<uint8_t>(photo->pixels()[i] * 255.0f + 0.5f);
    const size_t row_bytes = static_cast<size_t>(width) * bands;
    Result<std::vector<uint8_t>> ours = encode_png(samples, {width, height, bands}, {});
    ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
    const std::vector<uint8_t> our_rows = inflate_idat(*ours);
    const std::vector<uint8_t> libpng_rows = inflate_idat(libvips_png_all_filters(samples, width, height, bands));
    ASSERT_EQ(our_rows.size(), height * (row_bytes + 1)) << name;
    ASSERT_EQ(libpng_rows.size(), our_rows.size()) << name;
    EXPECT_EQ(filter_types(our_rows, row_bytes), filter_types(libpng_rows, row_bytes)) << name;
    EXPECT_EQ(our_rows, libpng_rows) << name;
  }
}

}  // namespace
}  // namespace upres::image
