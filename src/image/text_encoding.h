// Conversions between UTF-8 and the encodings image metadata uses (Latin-1 in PNG tEXt, UTF-16
// in EXIF UserComment). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace upres::image {

bool is_valid_utf8(std::string_view text);

// Appends code point `cp` (<= U+10FFFF) encoded as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// Latin-1 bytes for UTF-8 `text`, or nullopt when it is not valid UTF-8 or holds a code point
// above U+00FF.
std::optional<std::string> utf8_to_latin1(std::string_view text);
std::string latin1_to_utf8(std::string_view text);

// UTF-16 code units as bytes (big- or little-endian), no byte-order mark. Invalid UTF-8 bytes
// become U+FFFD.
std::string utf8_to_utf16(std::string_view text, bool big_endian);
// The inverse; unpaired surrogates become U+FFFD, a trailing odd byte is dropped.
std::string utf16_to_utf8(std::string_view bytes, bool big_endian);

}  // namespace upres::image
