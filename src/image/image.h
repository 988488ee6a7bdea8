// Image: a decoded picture as interleaved float samples in [0, 1], plus what must survive a
// round trip (bit depth, ICC profile, EXIF, text chunks). Value type; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/buffer_memory.h"

namespace upres::image {

// What a file carried besides pixels; written back on save.
struct ImageMetadata {
  int bits_per_sample = 8;              // 8 or 16: the depth the file had and will be saved in
  std::vector<uint8_t> icc_profile;     // empty when the file had none
  std::vector<uint8_t> exif;            // raw EXIF block (Orientation already applied and reset)
  // Text chunks in file order, e.g. {"parameters", "..."}; keys are unique.
  std::vector<std::pair<std::string, std::string>> text;

  // Value of text chunk `key`, or nullptr.
  const std::string* find_text(const std::string& key) const;
  // Sets or replaces text chunk `key`, keeping the order of the others.
  void set_text(const std::string& key, std::string value);
};

class Image {
 public:
  Image() = default;
  // Requires: width, height >= 1; channels in 1..4 (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
  Image(int width, int height, int channels);

  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }
  bool has_alpha() const { return channels_ == 2 || channels_ == 4; }
  int color_channels() const { return has_alpha() ? channels_ - 1 : channels_; }
  bool empty() const { return pixels_.empty(); }
  size_t sample_count() const { return pixels_.size(); }

  // Sample (x, y, c); requires 0 <= x < width, 0 <= y < height, 0 <= c < channels.
  float at(int x, int y, int c) const { return pixels_[index(x, y, c)]; }
  float& at(int x, int y, int c) { return pixels_[index(x, y, c)]; }

  // Row-major, channels interleaved: sample (x, y, c) at (y * width + x) * channels + c.
  float* pixels() { return pixels_.data(); }
  const float* pixels() const { return pixels_.data(); }

  ImageMetadata metadata;

 private:
  size_t index(int x, int y, int c) const {
    return (static_cast<size_t>(y) * width_ + x) * channels_ + c;
  }
  int width_ = 0;
  int height_ = 0;
  int channels_ = 0;
  std::vector<float, BufferAllocator<float>> pixels_;  // huge pages when large
};

}  // namespace upres::image
