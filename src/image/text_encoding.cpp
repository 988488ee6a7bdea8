// UTF-8 <-> Latin-1 / UTF-16 conversions for metadata. Pure functions; thread-safe.
#include "image/text_encoding.h"

#include <cstdint>

namespace upres::image {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point at text[i], advancing i; nullopt for a malformed sequence (i advances by 1).
std::optional<char32_t> next_code_point(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) { ++i; return lead; }
  if ((lead & 0xE0) == 0xC0) { extra = 1; cp = lead & 0x1F; }
  else if ((lead & 0xF0) == 0xE0) { extra = 2; cp = lead & 0x0F; }
  else if ((lead & 0xF8) == 0xF0) { extra = 3; cp = lead & 0x07; }
  else { ++i; return std::nullopt; }
  if (i + extra >= text.size()) { ++i; return std::nullopt; }
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) { ++i; return std::nullopt; }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ++i; return std::nullopt; }
  i += extra + 1;
  return cp;
}


void append_unit(std::string& out, char16_t unit, bool big_endian) {
  const char hi = static_cast<char>(unit >> 8), lo = static_cast<char>(unit & 0xFF);
  out += big_endian ? hi : lo;
  out += big_endian ? lo : hi;
}

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();)
    if (!next_code_point(text, i)) return false;
  return true;
}

std::optional<std::string> utf8_to_latin1(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const std::optional<char32_t> cp = next_code_point(text, i);
    if (!cp || *cp > 0xFF) return std::nullopt;
    out += static_cast<char>(*cp);
  }
  return out;
}

std::string latin1_to_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) append_utf8(out, static_cast<uint8_t>(c));
  return out;
}

std::string utf8_to_utf16(std::string_view text, bool big_endian) {
  std::string out;
  out.reserve(text.size() * 2);
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = next_code_point(text, i).value_or(kReplacement);
    if (cp >= 0x10000) {
      append_unit(out, static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10)), big_endian);
      append_unit(out, static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)), big_endian);
    } else {
      append_unit(out, static_cast<char16_t>(cp), big_endian);
    }
  }
  return out;
}

std::string utf16_to_utf8(std::string_view bytes, bool big_endian) {
  const size_t count = bytes.size() / 2;
  const auto unit = [&](size_t k) -> char16_t {
    const auto a = static_cast<uint8_t>(bytes[2 * k]), b = static_cast<uint8_t>(bytes[2 * k + 1]);
    return static_cast<char16_t>(big_endian ? (a << 8 | b) : (b << 8 | a));
  };
  std::string out;
  out.reserve(count);
  for (size_t k = 0; k < count; ++k) {
    const char16_t u = unit(k);
    if (u >= 0xD800 && u <= 0xDBFF && k + 1 < count && unit(k + 1) >= 0xDC00 && unit(k + 1) <= 0xDFFF) {
      append_utf8(out, 0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) + (unit(k + 1) - 0xDC00));
      ++k;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      append_utf8(out, kReplacement);
    } else {
      append_utf8(out, u);
    }
  }
  return out;
}

}  // namespace upres::image
