// Infotext formatting and parsing as the reference UI does it (modules/postprocessing.py:
// ", ".join(k if k == v else f"{k}: {quote(v)}"), quote() = json.dumps(ensure_ascii=False)).
// Pure functions; thread-safe.
#include "image/infotext.h"

#include "image/text_encoding.h"

#include <cmath>
#include <cstdio>
#include <optional>

namespace upres::image {
namespace {

bool needs_quotes(std::string_view value) {
  return value.find_first_of(",:\n") != std::string_view::npos;
}

// json.dumps(value, ensure_ascii=False): escapes quote, backslash and control characters only.
std::string json_quote(std::string_view value) {
  std::string out = "\"";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}


std::optional<unsigned> read_hex4(std::string_view text, size_t at) {
  if (at + 4 > text.size()) return std::nullopt;
  unsigned v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = text[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return std::nullopt;
  }
  return v;
}

// Reads the JSON string starting at text[pos] == '"'; advances pos past the closing quote.
// nullopt when unterminated (the caller then takes the text literally).
std::optional<std::string> read_json_string(std::string_view text, size_t& pos) {
  std::string out;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      pos = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= text.size()) return std::nullopt;
    switch (text[i]) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        std::optional<unsigned> cp = read_hex4(text, i + 1);
        if (!cp) return std::nullopt;
        i += 4;
        if (*cp >= 0xD800 && *cp <= 0xDBFF && i + 6 < text.size() && text[i + 1] == '\\' && text[i + 2] == 'u') {
          const std::optional<unsigned> low = read_hex4(text, i + 3);
          if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
            cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(out, *cp);
        break;
      }
      default: out += text[i]; break;  // \" \\ \/
    }
  }
  return std::nullopt;
}

void skip_spaces(std::string_view text, size_t& pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
}

}  // namespace

void set_infotext_item(InfotextItems& items, const std::string& key, std::string value) {
  for (auto& [k, v] : items) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  items.emplace_back(key, std::move(value));
}

std::string quote_infotext_value(std::string_view value) {
  return needs_quotes(value) ? json_quote(value) : std::string(value);
}

std::string format_infotext(const InfotextItems& items) {
  std::string out;
  for (const auto& [key, value] : items) {
    if (!out.empty()) out += ", ";
    out += key == value ? key : key + ": " + quote_infotext_value(value);
  }
  return out;
}

InfotextItems parse_infotext(std::string_view text) {
  InfotextItems items;
  size_t pos = 0;
  while (true) {
    skip_spaces(text, pos);
    if (pos >= text.size()) break;
    const size_t stop = text.find_first_of(",:", pos);
    std::string key(text.substr(pos, stop == std::string_view::npos ? std::string_view::npos : stop - pos));
    if (stop == std::string_view::npos || text[stop] == ',') {  // a bare item: key == value
      items.emplace_back(key, key);
      if (stop == std::string_view::npos) break;
      pos = stop + 1;
      continue;
    }
    pos = stop + 1;
    skip_spaces(text, pos);
    std::optional<std::string> value;
    if (pos < text.size() && text[pos] == '"') value = read_json_string(text, pos);
    if (!value) {
      const size_t comma = text.find(',', pos);
      value = std::string(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
      pos = comma == std::string_view::npos ? text.size() : comma;
    }
    items.emplace_back(std::move(key), std::move(*value));
    skip_spaces(text, pos);
    if (pos < text.size() && text[pos] == ',') ++pos;
    else if (pos < text.size()) {
      // Text after a quoted value up to the next comma is not part of any item; skip it.
      const size_t comma = text.find(',', pos);
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
  }
  return items;
}

std::string format_infotext_number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.3f", value);
  std::string out(buffer);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

}  // namespace upres::image
