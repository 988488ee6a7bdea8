// HTTP Basic check over the configured users.
#include "server/basic_auth.h"

#include <cctype>

#include "server/base64.h"

namespace upres::server {
namespace {

bool equal_in_constant_time(std::string_view given, std::string_view expected) {
  unsigned difference = given.size() != expected.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    const uint8_t g = i < given.size() ? static_cast<uint8_t>(given[i]) : 0;
    difference |= g ^ static_cast<uint8_t>(expected[i]);
  }
  return difference == 0;
}

}  // namespace

BasicAuth::BasicAuth(std::string_view credentials) : enabled_(!credentials.empty()) {
  while (!credentials.empty()) {
    const size_t comma = credentials.find(',');
    const std::string_view entry = credentials.substr(0, comma);
    const size_t colon = entry.find(':');
    if (colon != std::string_view::npos)
      users_.emplace_back(std::string(entry.substr(0, colon)), std::string(entry.substr(colon + 1)));
    if (comma == std::string_view::npos) break;
    credentials.remove_prefix(comma + 1);
  }
}

AuthOutcome BasicAuth::check(std::string_view header) const {
  if (!enabled_) return AuthOutcome::kAccepted;
  // HTTPBasic: the scheme is matched without regard to case, the rest after one space.
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return AuthOutcome::kNotAuthenticated;
  std::string scheme(header.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "basic") return AuthOutcome::kNotAuthenticated;
  auto decoded = decode_base64(header.substr(space + 1), "Authorization");
  if (!decoded.is_ok()) return AuthOutcome::kInvalidCredentials;
  const std::string given(decoded->begin(), decoded->end());
  const size_t colon = given.find(':');
  if (colon == std::string::npos) return AuthOutcome::kInvalidCredentials;
  const std::string_view user = std::string_view(given).substr(0, colon);
  const std::string_view password = std::string_view(given).substr(colon + 1);
  bool accepted = false;
  for (const auto& [known_user, known_password] : users_) {
    // Every entry is compared, so the time does not tell which users exist.
    const bool user_matches = equal_in_constant_time(user, known_user);
    const bool password_matches = equal_in_constant_time(password, known_password);
    accepted |= user_matches && password_matches;
  }
  return accepted ? AuthOutcome::kAccepted : AuthOutcome::kIncorrectCredentials;
}

std::string_view BasicAuth::refusal_detail(AuthOutcome outcome) {
  switch (outcome) {
    case AuthOutcome::kAccepted:
      return "";
    case AuthOutcome::kNotAuthenticated:
      return "Not authenticated";
    case AuthOutcome::kInvalidCredentials:
      return "Invalid authentication credentials";
    case AuthOutcome::kIncorrectCredentials:
      return "Incorrect username or password";
  }
  return "Not authenticated";
}

}  // namespace upres::server
