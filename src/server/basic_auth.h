// HTTP Basic authentication for --api-auth "user:pass" (the reference UI's flag). Immutable after
// construction; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace upres::server {

class BasicAuth {
 public:
  // `credentials` is "user:pass"; empty disables authentication.
  explicit BasicAuth(std::string credentials) : credentials_(std::move(credentials)) {}

  bool is_enabled() const { return !credentials_.empty(); }

  // Whether an Authorization header value ("Basic <base64 user:pass>") carries the credentials.
  // Compares in time independent of where the strings differ.
  bool accepts(std::string_view authorization_header) const;

 private:
  std::string credentials_;
};

}  // namespace upres::server
