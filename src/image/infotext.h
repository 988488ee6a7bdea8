// Infotext: the "key: value, key: value" line the reference web UI writes into PNG text chunks
// to record how a picture was made. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upres::image {

using InfotextItems = std::vector<std::pair<std::string, std::string>>;

// Sets item `key` to `value`, replacing an existing one in place (order kept) or appending.
void set_infotext_item(InfotextItems& items, const std::string& key, std::string value);

// Quotes a value as the reference UI does: JSON-quoted when it holds ',', ':' or a newline.
std::string quote_infotext_value(std::string_view value);

// Joins items in order as "k: v, k: v"; an item whose key equals its value is written bare.
std::string format_infotext(const InfotextItems& items);

// Splits a line written by format_infotext back into items (quoted values unquoted).
InfotextItems parse_infotext(std::string_view text);

// A number as the reference UI prints it: 4 -> "4", 2.5 -> "2.5", rounded to 3 decimals.
std::string format_infotext_number(double value);

}  // namespace upres::image
