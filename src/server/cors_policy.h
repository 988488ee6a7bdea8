// CORS as the reference UI sets it up (Starlette's CORSMiddleware with allow_methods ["*"],
// allow_headers ["*"], allow_credentials true, and the origins of --cors-allow-origins
// "a,b" / --cors-allow-origins-regex): preflight answers and the headers of simple requests.
// Immutable after creation; thread-safe.
#pragma once

#include <httplib.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "base/result.h"

namespace upres::server {

class CorsPolicy {
 public:
  // InvalidArgument naming the flag when `allow_origin_regex` does not compile.
  static Result<CorsPolicy> create(const std::string& allow_origins,
                                   const std::string& allow_origin_regex);

  // An OPTIONS request with Origin and Access-Control-Request-Method, which the middleware
  // answers itself (before routing and authentication).
  static bool is_preflight(const httplib::Request& request);
  // 200 "OK", or 400 "Disallowed CORS origin" (or method/headers), with the preflight headers.
  void answer_preflight(const httplib::Request& request, httplib::Response& response) const;
  // The headers a request carrying Origin gets on its answer.
  void add_response_headers(const httplib::Request& request, httplib::Response& response) const;

  bool is_allowed_origin(const std::string& origin) const;

 private:
  std::vector<std::string> origins_;
  bool all_origins_ = false;
  std::optional<std::regex> origin_regex_;
};

}  // namespace upres::server
