// HTTP Basic check.
#include "server/basic_auth.h"

#include "server/base64.h"

namespace upres::server {

bool BasicAuth::accepts(std::string_view header) const {
  if (!is_enabled()) return true;
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) return false;
  auto decoded = decode_base64(header.substr(kScheme.size()), "Authorization");
  if (!decoded.is_ok()) return false;
  const std::vector<uint8_t>& given = *decoded;
  unsigned difference = given.size() != credentials_.size();
  for (size_t i = 0; i < credentials_.size(); ++i) {
    const uint8_t g = i < given.size() ? given[i] : 0;
    difference |= g ^ static_cast<uint8_t>(credentials_[i]);
  }
  return difference == 0;
}

}  // namespace upres::server
