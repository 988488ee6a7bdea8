// Writing JSON answers and errors into an HTTP response: the Status category decides the HTTP
// code, and the body names the field at fault. Pure functions; thread-safe.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace upres::server {

// InvalidArgument 422, Corrupt/Unsupported 400/415, NotFound 404, ResourceExhausted 413,
// Cancelled 409, IoError and Internal 500.
int http_status_for(const Status& status);

// The field a message names: "upscaler_1: unknown upscaler" -> "upscaler_1"; "" when none.
std::string field_of(const Status& status);

void send_json(httplib::Response& response, const nlohmann::json& body, int http_status = 200);

// {"error": "InvalidArgument", "detail": message, "body": "", "errors": message, "field": ...}:
// the reference API's error shape (its handle_exception) plus the field.
void send_error(httplib::Response& response, const Status& status);
void send_error(httplib::Response& response, const Status& status, int http_status);

// {"detail": text}: Starlette's answer for routing errors, e.g. 404 "Not Found", 405 "Method Not
// Allowed", and FastAPI's for HTTPException.
void send_detail(httplib::Response& response, int http_status, const std::string& text);

}  // namespace upres::server
