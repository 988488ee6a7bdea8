// Starlette CORSMiddleware's rules for the reference's configuration.
#include "server/cors_policy.h"

namespace upres::server {
namespace {

// allow_methods ["*"] stands for Starlette's ALL_METHODS.
constexpr const char* kAllowedMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

bool is_allowed_method(const std::string& method) {
  for (const char* m : {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
    if (method == m) return true;
  return false;
}

void add_vary_origin(httplib::Response& response) {
  const std::string vary = response.get_header_value("Vary");
  if (vary.empty()) {
    response.set_header("Vary", "Origin");
  } else if (vary.find("Origin") == std::string::npos) {
    response.headers.erase("Vary");
    response.set_header("Vary", vary + ", Origin");
  }
}

}  // namespace

Result<CorsPolicy> CorsPolicy::create(const std::string& allow_origins,
                                      const std::string& allow_origin_regex) {
  CorsPolicy policy;
  size_t start = 0;
  while (!allow_origins.empty()) {
    const size_t comma = allow_origins.find(',', start);
    std::string origin = allow_origins.substr(start, comma - start);
    if (origin == "*") policy.all_origins_ = true;
    policy.origins_.push_back(std::move(origin));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!allow_origin_regex.empty()) {
    try {
      policy.origin_regex_.emplace(allow_origin_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      return invalid_argument("cors_allow_origins_regex: not a valid regular expression (" +
                              std::string(error.what()) + ")");
    }
  }
  return policy;
}

bool CorsPolicy::is_preflight(const httplib::Request& request) {
  return request.method == "OPTIONS" && request.has_header("Origin") &&
         request.has_header("Access-Control-Request-Method");
}

bool CorsPolicy::is_allowed_origin(const std::string& origin) const {
  if (all_origins_) return true;
  if (origin_regex_ && origin.size() <= 2048 && std::regex_match(origin, *origin_regex_))
    return true;  // Python's fullmatch
  for (const std::string& allowed : origins_)
    if (origin == allowed) return true;
  return false;
}

void CorsPolicy::answer_preflight(const httplib::Request& request,
                                  httplib::Response& response) const {
  const std::string origin = request.get_header_value("Origin");
  std::string failures;
  auto fail = [&failures](const char* what) { failures += (failures.empty() ? "" : ", ") + std::string(what); };
  // allow_credentials makes Starlette echo the origin rather than "*", and vary on it.
  response.set_header("Vary", "Origin");
  response.set_header("Access-Control-Allow-Methods", kAllowedMethods);
  response.set_header("Access-Control-Max-Age", "600");
  response.set_header("Access-Control-Allow-Credentials", "true");
  if (is_allowed_origin(origin))
    response.set_header("Access-Control-Allow-Origin", origin);
  else
    fail("origin");
  if (!is_allowed_method(request.get_header_value("Access-Control-Request-Method"))) fail("method");
  if (request.has_header("Access-Control-Request-Headers"))  // allow_headers ["*"]: echoed
    response.set_header("Access-Control-Allow-Headers",
                        request.get_header_value("Access-Control-Request-Headers"));
  response.status = failures.empty() ? 200 : 400;
  response.set_content(failures.empty() ? "OK" : "Disallowed CORS " + failures,
                       "text/plain; charset=utf-8");
}

void CorsPolicy::add_response_headers(const httplib::Request& request,
                                      httplib::Response& response) const {
  if (!request.has_header("Origin") || is_preflight(request)) return;  // preflights have theirs
  const std::string origin = request.get_header_value("Origin");
  response.headers.erase("Access-Control-Allow-Origin");
  response.headers.erase("Access-Control-Allow-Credentials");
  if (all_origins_) response.set_header("Access-Control-Allow-Origin", "*");
  response.set_header("Access-Control-Allow-Credentials", "true");
  const bool explicit_origin = all_origins_ ? request.has_header("Cookie") : is_allowed_origin(origin);
  if (explicit_origin) {
    response.headers.erase("Access-Control-Allow-Origin");
    response.set_header("Access-Control-Allow-Origin", origin);
    add_vary_origin(response);
  }
}

}  // namespace upres::server
