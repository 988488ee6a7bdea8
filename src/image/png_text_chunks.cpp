// Reading and writing PNG text chunks with their CRCs. Every length is checked against the
// buffer before use. Pure functions; thread-safe.
#include "image/png_text_chunks.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "image/png_chunk.h"
#include "image/text_encoding.h"

namespace upres::image {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
constexpr size_t kMaxInflatedBytes = 64u << 20;  // a text chunk larger than this is a bomb

uint32_t read_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::optional<std::string> inflate_text(std::string_view compressed) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - zs.avail_out);
    if (out.size() > kMaxInflatedBytes) rc = Z_MEM_ERROR;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

// Parses one text chunk's payload into (key, value); nullopt when malformed.
std::optional<std::pair<std::string, std::string>> parse_text_chunk(std::string_view type,
                                                                    std::string_view body) {
  const size_t key_end = body.find('\0');
  if (key_end == std::string_view::npos || key_end == 0) return std::nullopt;
  std::string key = latin1_to_utf8(body.substr(0, key_end));
  std::string_view rest = body.substr(key_end + 1);
  if (type == "tEXt") return std::make_pair(key, latin1_to_utf8(rest));
  if (type == "zTXt") {
    if (rest.empty() || rest[0] != 0) return std::nullopt;
    std::optional<std::string> text = inflate_text(rest.substr(1));
    if (!text) return std::nullopt;
    return std::make_pair(key, latin1_to_utf8(*text));
  }
  // iTXt: compression flag, method, language\0, translated keyword\0, UTF-8 text.
  if (rest.size() < 2) return std::nullopt;
  const bool compressed = rest[0] != 0;
  rest.remove_prefix(2);
  for (int skip = 0; skip < 2; ++skip) {
    const size_t end = rest.find('\0');
    if (end == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(end + 1);
  }
  if (!compressed) return std::make_pair(key, std::string(rest));
  std::optional<std::string> text = inflate_text(rest);
  if (!text) return std::nullopt;
  return std::make_pair(key, std::move(*text));
}

void append_chunk(std::vector<uint8_t>& out, const char* type, const std::string& body) {
  append_png_chunk(out, type, {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
}

}  // namespace

bool is_png(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(kSignature) &&
         std::memcmp(bytes.data(), kSignature, sizeof(kSignature)) == 0;
}

Result<TextChunks> read_png_text_chunks(std::span<const uint8_t> png, std::string_view name) {
  if (!is_png(png)) return corrupt(std::string(name) + ": not a PNG signature");
  TextChunks text;
  size_t offset = sizeof(kSignature);
  while (offset + 12 <= png.size()) {
    const uint32_t length = read_u32(png.data() + offset);
    const std::string_view type(reinterpret_cast<const char*>(png.data() + offset + 4), 4);
    if (length > png.size() - offset - 12)
      return corrupt(std::string(name) + ": PNG chunk '" + std::string(type) + "' at offset " +
                     std::to_string(offset) + " runs past the end of the file");
    if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
      const std::string_view body(reinterpret_cast<const char*>(png.data() + offset + 8), length);
      auto item = parse_text_chunk(type, body);
      if (!item)
        return corrupt(std::string(name) + ": malformed PNG " + std::string(type) +
                       " chunk at offset " + std::to_string(offset));
      auto found = std::find_if(text.begin(), text.end(),
                                [&](const auto& kv) { return kv.first == item->first; });
      if (found != text.end()) found->second = std::move(item->second);
      else text.push_back(std::move(*item));
    }
    if (type == "IEND") break;
    offset += size_t{length} + 12;
  }
  return text;
}

Status append_png_text_chunks(std::vector<uint8_t>& out,
                              std::span<const std::pair<std::string, std::string>> text) {
  for (const auto& [key, value] : text) {
    const std::optional<std::string> latin_key = utf8_to_latin1(key);
    if (key.empty() || key.size() > 79 || !latin_key || latin_key->find('\0') != std::string::npos)
      return invalid_argument("PNG text key '" + key + "' must be 1-79 Latin-1 characters");
    const std::optional<std::string> latin_value = utf8_to_latin1(value);
    if (latin_value) {
      append_chunk(out, "tEXt", *latin_key + '\0' + *latin_value);
    } else {
      std::string body = *latin_key;
      body.append("\0\0\0\0\0", 5);  // keyword end, not compressed, method 0, no language, no translation
      body += value;
      append_chunk(out, "iTXt", body);
    }
  }
  return Status::ok();
}

Result<std::vector<uint8_t>> insert_png_text_chunks(std::span<const uint8_t> png,
                                                    const TextChunks& text) {
  if (!is_png(png)) return corrupt("encoded PNG: no PNG signature");
  // Before the first IDAT, where PIL's writer puts them: readers that stop at the image data (PIL's
  // Image.open(f).info before the pixels are loaded) see them there, and only there.
  size_t offset = sizeof(kSignature);
  size_t iend = 0, first_idat = 0;
  while (offset + 12 <= png.size()) {
    const uint32_t length = read_u32(png.data() + offset);
    if (length > png.size() - offset - 12) break;
    if (first_idat == 0 && std::memcmp(png.data() + offset + 4, "IDAT", 4) == 0) first_idat = offset;
    if (std::memcmp(png.data() + offset + 4, "IEND", 4) == 0) { iend = offset; break; }
    offset += size_t{length} + 12;
  }
  if (iend == 0) return corrupt("encoded PNG: no IEND chunk");
  const size_t at = first_idat != 0 ? first_idat : iend;
  std::vector<uint8_t> out(png.begin(), png.begin() + static_cast<ptrdiff_t>(at));
  UPRES_RETURN_IF_ERROR(append_png_text_chunks(out, text));
  out.insert(out.end(), png.begin() + static_cast<ptrdiff_t>(at), png.end());
  return out;
}

}  // namespace upres::image
