// Status -> HTTP code and JSON error body.
#include "server/json_response.h"

namespace upres::server {

int http_status_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 422;
    case StatusCode::kCorrupt:
      return 400;
    case StatusCode::kUnsupported:
      return 415;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kCancelled:
      return 409;
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string field_of(const Status& status) {
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  if (colon == std::string::npos || colon == 0) return "";
  for (size_t i = 0; i < colon; ++i) {
    const char c = message[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '[' || c == ']' ||
          c == '.'))
      return "";
  }
  return message.substr(0, colon);
}

void send_json(httplib::Response& response, const nlohmann::json& body, int http_status) {
  response.status = http_status;
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

void send_error(httplib::Response& response, const Status& status) {
  send_error(response, status, http_status_for(status));
}

void send_error(httplib::Response& response, const Status& status, int http_status) {
  nlohmann::json body = {
      {"error", status_code_name(status.code())},
      {"detail", status.message()},
      {"body", ""},
      {"errors", status.message()},
  };
  if (std::string field = field_of(status); !field.empty()) body["field"] = field;
  send_json(response, body, http_status);
}

void send_detail(httplib::Response& response, int http_status, const std::string& text) {
  send_json(response, {{"detail", text}}, http_status);
}

}  // namespace upres::server
