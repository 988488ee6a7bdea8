// Request validation as the reference API's FastAPI 0.94 + pydantic 1.10 stack answers it: a JSON
// body read the way Python's json module reads it (its error messages and positions), fields
// coerced the way pydantic v1 coerces them ("2" is a float, "yes" a bool, 2.7 an int 2), and every
// failure collected into the 422 body {"detail": [{"loc": [...], "msg": ..., "type": ...}]}.
// Plain values and pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace upres::server {

// The errors of one request, in the order pydantic reports them (model field order).
class ValidationErrors {
 public:
  void add(nlohmann::json loc, std::string msg, std::string type,
           nlohmann::json ctx = nullptr);
  bool empty() const { return detail_.empty(); }
  // {"detail": [...]}, the body FastAPI sends with status 422.
  nlohmann::json body() const { return {{"detail", detail_}}; }

 private:
  nlohmann::json detail_ = nlohmann::json::array();
};

// The request body as FastAPI reads it for a pydantic model parameter: nullopt (and an error
// with loc ["body"]) when it is empty ("field required"), not JSON (value_error.jsondecode with
// Python's message and character position; the body echoed in ctx.doc is cut at 64 KiB), sent
// with a non-JSON Content-Type, or not an object ("value is not a valid dict").
std::optional<nlohmann::json> read_json_object_body(std::string_view body,
                                                    std::string_view content_type,
                                                    ValidationErrors& errors);

// pydantic v1 field validators. Each reads `body[field]` when present (absent: nullopt and no
// error, the caller keeps its default); null, or a value the type cannot take, adds an error
// at loc ["body", field] (or `loc` for nested fields) and gives nullopt.
struct FieldRef {
  const nlohmann::json& body;
  std::string field;
  nlohmann::json loc;  // where errors point
};
FieldRef body_field(const nlohmann::json& body, std::string field);

std::optional<double> read_float(const FieldRef& ref, ValidationErrors& errors,
                                 bool allow_inf_nan = true);
std::optional<long long> read_int(const FieldRef& ref, ValidationErrors& errors);
std::optional<bool> read_bool(const FieldRef& ref, ValidationErrors& errors);
std::optional<std::string> read_str(const FieldRef& ref, ValidationErrors& errors);
// Literal[0, 1]-style: the value must equal one of `permitted` (True == 1 and 1.0 == 1 count).
std::optional<long long> read_int_literal(const FieldRef& ref, std::initializer_list<long long> permitted,
                                          ValidationErrors& errors);

// Field(ge=..., gt=..., le=...) checks on a value already read; false (with the error) when out.
bool check_ge(const FieldRef& ref, double value, long long limit, ValidationErrors& errors);
bool check_gt(const FieldRef& ref, double value, long long limit, ValidationErrors& errors);
bool check_le(const FieldRef& ref, double value, long long limit, ValidationErrors& errors);

}  // namespace upres::server
