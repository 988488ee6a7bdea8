// Base64 (RFC 4648, standard alphabet) for images carried in JSON by the /sdapi/v1 API.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace upres::server {

// Encodes with '=' padding.
std::string encode_base64(std::span<const uint8_t> bytes);

// Decodes `text`, accepting an optional "data:<type>;base64," prefix, missing '=' padding and
// ASCII whitespace (line breaks). Corrupt naming the offset of the first invalid character;
// `field` names the JSON field in the message.
Result<std::vector<uint8_t>> decode_base64(std::string_view text, std::string_view field);

}  // namespace upres::server
