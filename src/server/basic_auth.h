// HTTP Basic authentication for --api-auth "user:pass[,user2:pass2...]" (the reference UI's flag,
// several users separated by commas, each split at its first ':'). Immutable after
// construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upres::server {

// What FastAPI's HTTPBasic plus the reference's auth() make of an Authorization header.
enum class AuthOutcome {
  kAccepted,
  kNotAuthenticated,       // no header, or not the Basic scheme: "Not authenticated"
  kInvalidCredentials,     // not base64, or no ':': "Invalid authentication credentials"
  kIncorrectCredentials,   // unknown user or wrong password: "Incorrect username or password"
};

class BasicAuth {
 public:
  // `credentials` is "user:pass" or a comma-separated list of them; empty disables
  // authentication. An entry without ':' admits nobody.
  explicit BasicAuth(std::string_view credentials);

  bool is_enabled() const { return enabled_; }

  // Checks an Authorization header value ("Basic <base64 user:pass>"). Passwords are compared in
  // time independent of where they differ.
  AuthOutcome check(std::string_view authorization_header) const;
  bool accepts(std::string_view authorization_header) const {
    return check(authorization_header) == AuthOutcome::kAccepted;
  }

  // The "detail" text the reference answers a refusal with.
  static std::string_view refusal_detail(AuthOutcome outcome);

 private:
  bool enabled_ = false;
  std::vector<std::pair<std::string, std::string>> users_;  // (user, password)
};

}  // namespace upres::server
