// ByteCursor: bounds-checked little-endian reads over a byte span. Value type; not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace upres::weights {

class ByteCursor {
 public:
  // `context` (file name, record) prefixes error messages.
  ByteCursor(std::span<const uint8_t> bytes, std::string context)
      : bytes_(bytes), context_(std::move(context)) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  const std::string& context() const { return context_; }

  Status seek(uint64_t pos) {
    if (pos > bytes_.size()) return truncated("seek", pos - pos_);
    pos_ = pos;
    return Status::ok();
  }

  // Reads `n` bytes; Corrupt naming `what` when fewer remain.
  Result<std::span<const uint8_t>> take(uint64_t n, std::string_view what) {
    if (n > remaining()) return truncated(what, n);
    auto out = bytes_.subspan(static_cast<size_t>(pos_), static_cast<size_t>(n));
    pos_ += n;
    return out;
  }

  template <typename T>
  Result<T> read_le(std::string_view what) {
    UPRES_ASSIGN_OR_RETURN(auto raw, take(sizeof(T), what));
    T value{};
    std::memcpy(&value, raw.data(), sizeof(T));  // hosts are little-endian (x86-64, arm64)
    return value;
  }

 private:
  Status truncated(std::string_view what, uint64_t wanted) const {
    return corrupt(context_ + ": truncated " + std::string(what) + " at offset " + std::to_string(pos_) +
                   " (wanted " + std::to_string(wanted) + " bytes, " + std::to_string(remaining()) + " left)");
  }

  std::span<const uint8_t> bytes_;
  std::string context_;
  uint64_t pos_ = 0;
};

}  // namespace upres::weights
