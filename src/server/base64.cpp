// Base64 encode and strict decode.
#include "server/base64.h"

#include <array>

namespace upres::server {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kDecodeTable = make_decode_table();

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Strips "data:image/png;base64," (anything up to the first comma after "data:").
std::string_view strip_data_url(std::string_view text) {
  if (text.substr(0, 5) != "data:") return text;
  size_t comma = text.find(',');
  return comma == std::string_view::npos ? text : text.substr(comma + 1);
}

}  // namespace

std::string encode_base64(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = bytes[i] << 16;
    if (rest == 2) v |= bytes[i + 1] << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::vector<uint8_t>> decode_base64(std::string_view text, std::string_view field) {
  const std::string_view body = strip_data_url(text);
  const size_t prefix = text.size() - body.size();
  std::vector<uint8_t> out;
  out.reserve(body.size() / 4 * 3 + 3);
  uint32_t accumulator = 0;
  int bits = 0;
  size_t padding = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (is_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int8_t value = kDecodeTable[static_cast<uint8_t>(c)];
    if (value < 0 || padding > 0) {
      return corrupt(std::string(field) + ": invalid base64 character at offset " +
                     std::to_string(prefix + i));
    }
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(accumulator >> bits));
      accumulator &= (1u << bits) - 1;
    }
  }
  // 6 leftover bits (one lone character) cannot come from any byte string.
  if (bits >= 6 || padding > 2) return corrupt(std::string(field) + ": truncated base64 data");
  return out;
}

}  // namespace upres::server
