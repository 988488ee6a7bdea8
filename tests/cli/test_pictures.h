// Pictures the CLI tests hand the binary: made from a formula per sample and written as PNG files.
// Free functions; thread-compatible.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "base/file_io.h"
#include "image/image_codec.h"

namespace upres::cli_testing {

// A width x height picture of `channels` channels whose sample (x, y, c) is sample(x, y, c),
// called row by row, pixel by pixel, channel by channel (so a formula may draw from a generator).
template <typename Sample>
image::Image picture_from(int width, int height, int channels, Sample&& sample) {
  image::Image picture(width, height, channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) picture.at(x, y, c) = sample(x, y, c);
  return picture;
}

// Writes `picture` to `path` as PNG (16-bit where its metadata says so); failing fails the test.
inline void write_png_file(const std::filesystem::path& path, const image::Image& picture) {
  ASSERT_TRUE(write_file_atomic(path, image::encode_image(picture, {}).value()).is_ok()) << path;
}

}  // namespace upres::cli_testing
