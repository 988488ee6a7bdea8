// pydantic v1 / Python json behaviour, written from their documented rules and sources' messages.
#include "server/request_validation.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace upres::server {
namespace {

using nlohmann::json;

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Python's json.loads syntax (NaN/Infinity allowed, as Python allows them): the first error as
// Python reports it, or an empty message when the text parses.
class PythonJsonChecker {
 public:
  explicit PythonJsonChecker(std::string_view text) : s_(text) {}

  // Empty when `text` is one valid document; else Python's message, and its byte offset in `pos`.
  std::string check(size_t* pos) {
    size_t end = 0;
    if (!value(skip(0), &end)) {
      *pos = error_pos_;
      return error_;
    }
    end = skip(end);
    if (end != s_.size()) {
      *pos = end;
      return "Extra data";
    }
    return "";
  }

 private:
  size_t skip(size_t i) const {
    while (i < s_.size() && is_json_space(s_[i])) ++i;
    return i;
  }
  bool fail(std::string message, size_t pos) {
    error_ = std::move(message);
    error_pos_ = pos;
    return false;
  }
  bool literal(size_t i, std::string_view word, size_t* end) {
    if (s_.substr(i, word.size()) != word) return false;
    *end = i + word.size();
    return true;
  }
  bool value(size_t i, size_t* end) {
    if (++depth_ > 512) return fail("maximum recursion depth exceeded", i);
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (i >= s_.size()) return fail("Expecting value", i);
    const char c = s_[i];
    if (c == '"') return string(i + 1, end);
    if (c == '{') return object(i + 1, end);
    if (c == '[') return array(i + 1, end);
    for (std::string_view word : {"null", "true", "false", "NaN", "Infinity", "-Infinity"})
      if (literal(i, word, end)) return true;
    return number(i, end);
  }
  bool number(size_t i, size_t* end) {
    size_t j = i;
    if (j < s_.size() && s_[j] == '-') ++j;
    if (j >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[j])))
      return fail("Expecting value", i);
    if (s_[j] == '0') ++j;
    else
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
    if (j + 1 < s_.size() && s_[j] == '.' && std::isdigit(static_cast<unsigned char>(s_[j + 1]))) {
      j += 2;
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
    }
    if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
      size_t k = j + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) {
        while (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) ++k;
        j = k;
      }
    }
    *end = j;
    return true;
  }
  bool string(size_t i, size_t* end) {
    const size_t begin = i - 1;
    while (true) {
      if (i >= s_.size()) return fail("Unterminated string starting at", begin);
      const auto c = static_cast<unsigned char>(s_[i]);
      if (c == '"') {
        *end = i + 1;
        return true;
      }
      if (c < 0x20) return fail("Invalid control character at", i);
      if (c == '\\') {
        if (i + 1 >= s_.size()) return fail("Unterminated string starting at", begin);
        const char e = s_[i + 1];
        if (e == 'u') {
          if (i + 6 > s_.size()) return fail("Invalid \\uXXXX escape", i);
          for (size_t k = i + 2; k < i + 6; ++k)
            if (!std::isxdigit(static_cast<unsigned char>(s_[k])))
              return fail("Invalid \\uXXXX escape", i);
          i += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos)
          return fail("Invalid \\escape", i);
        i += 2;
        continue;
      }
      ++i;
    }
  }
  bool object(size_t i, size_t* end) {
    i = skip(i);
    if (i < s_.size() && s_[i] == '}') {
      *end = i + 1;
      return true;
    }
    while (true) {
      if (i >= s_.size() || s_[i] != '"')
        return fail("Expecting property name enclosed in double quotes", i);
      size_t after = 0;
      if (!string(i + 1, &after)) return false;
      i = skip(after);
      if (i >= s_.size() || s_[i] != ':') return fail("Expecting ':' delimiter", i);
      i = skip(i + 1);
      if (!value(i, &after)) return false;
      i = skip(after);
      if (i < s_.size() && s_[i] == '}') {
        *end = i + 1;
        return true;
      }
      if (i >= s_.size() || s_[i] != ',') return fail("Expecting ',' delimiter", i);
      i = skip(i + 1);
    }
  }
  bool array(size_t i, size_t* end) {
    i = skip(i);
    if (i < s_.size() && s_[i] == ']') {
      *end = i + 1;
      return true;
    }
    while (true) {
      size_t after = 0;
      if (!value(i, &after)) return false;
      i = skip(after);
      if (i < s_.size() && s_[i] == ']') {
        *end = i + 1;
        return true;
      }
      if (i >= s_.size() || s_[i] != ',') return fail("Expecting ',' delimiter", i);
      i = skip(i + 1);
    }
  }

  std::string_view s_;
  std::string error_;
  size_t error_pos_ = 0;
  int depth_ = 0;
};

// Python counts characters, not bytes: the number of UTF-8 characters before `byte_pos`.
size_t char_index(std::string_view text, size_t byte_pos) {
  size_t count = 0;
  for (size_t i = 0; i < byte_pos && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++count;
  return count;
}

// FastAPI echoes the whole body as "doc"; a large upload is cut so a bad one costs no more
// memory to answer than this.
constexpr size_t kMaxEchoedDocBytes = 64 << 10;

std::string to_utf8_lossy(std::string_view text) {
  // The error's "doc" echoes the body: keep it valid JSON text.
  return json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_json_content_type(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type.rfind("application/", 0) != 0) return false;
  const std::string subtype = type.substr(12);
  return subtype == "json" ||
         (subtype.size() > 5 && subtype.compare(subtype.size() - 5, 5, "+json") == 0);
}

std::string_view strip_space(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Python's float(str): surrounding spaces, '_' between digits, inf/infinity/nan in any case; no
// hexadecimal.
std::optional<double> python_float(std::string_view text) {
  text = strip_space(text);
  std::string clean;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      const bool between = i > 0 && i + 1 < text.size() &&
                           std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                           std::isdigit(static_cast<unsigned char>(text[i + 1]));
      if (!between) return std::nullopt;
      continue;
    }
    if (c == 'x' || c == 'X' || c == '(' || c == 'p' || c == 'P') return std::nullopt;
    clean += c;
  }
  if (clean.empty()) return std::nullopt;
  std::string lower = clean;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view unsigned_part(lower);
  if (!unsigned_part.empty() && (unsigned_part[0] == '+' || unsigned_part[0] == '-'))
    unsigned_part.remove_prefix(1);
  if (unsigned_part == "inf" || unsigned_part == "infinity" || unsigned_part == "nan") {
    const double v = unsigned_part == "nan" ? NAN : INFINITY;
    return lower[0] == '-' ? -v : v;
  }
  if (std::isalpha(static_cast<unsigned char>(unsigned_part.empty() ? '0' : unsigned_part[0])))
    return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  return value;
}

// Python's int(str): surrounding spaces, an optional sign, digits with '_' between them.
std::optional<long long> python_int(std::string_view text) {
  text = strip_space(text);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front())) ||
      !std::isdigit(static_cast<unsigned char>(text.back())))
    return std::nullopt;
  long long value = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_' && std::isdigit(static_cast<unsigned char>(text[i - 1]))) continue;
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (value > (INT64_MAX - 9) / 10) return std::nullopt;  // beyond what we can hold
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

// nullopt and the pydantic "none is not an allowed value" error for an explicit null.
bool present(const FieldRef& ref, ValidationErrors& errors, const json** value) {
  auto it = ref.body.find(ref.field);
  if (it == ref.body.end()) return false;
  if (it->is_null()) {
    errors.add(ref.loc, "none is not an allowed value", "type_error.none.not_allowed");
    return false;
  }
  *value = &*it;
  return true;
}

std::string python_number_text(long long limit) { return std::to_string(limit); }

}  // namespace

void ValidationErrors::add(json loc, std::string msg, std::string type, json ctx) {
  json error = {{"loc", std::move(loc)}, {"msg", std::move(msg)}, {"type", std::move(type)}};
  if (!ctx.is_null()) error["ctx"] = std::move(ctx);
  detail_.push_back(std::move(error));
}

std::optional<json> read_json_object_body(std::string_view body, std::string_view content_type,
                                          ValidationErrors& errors) {
  if (body.empty()) {
    errors.add(json::array({"body"}), "field required", "value_error.missing");
    return std::nullopt;
  }
  if (!content_type.empty() && !is_json_content_type(content_type)) {
    // FastAPI passes the raw bytes on to the model, which is not a dict.
    errors.add(json::array({"body"}), "value is not a valid dict", "type_error.dict");
    return std::nullopt;
  }
  size_t byte_pos = 0;
  const std::string message = PythonJsonChecker(body).check(&byte_pos);
  json parsed;
  if (message.empty()) {
    parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() && body.find("NaN") == std::string_view::npos &&
        body.find("Infinity") == std::string_view::npos) {
      byte_pos = 0;  // the checker and the parser disagree: report at the start
    }
  }
  if (!message.empty() || parsed.is_discarded()) {
    const std::string msg = message.empty() ? "Expecting value" : message;
    const size_t pos = char_index(body, byte_pos);
    const std::string_view before = body.substr(0, std::min(byte_pos, body.size()));
    size_t lineno = 1;
    for (char c : before) lineno += c == '\n';
    const size_t last_newline = before.rfind('\n');
    const size_t colno =
        last_newline == std::string_view::npos ? pos + 1 : pos - char_index(body, last_newline);
    json ctx = {{"msg", msg},
                {"doc", json::parse(to_utf8_lossy(body.substr(0, kMaxEchoedDocBytes)))},
                {"pos", pos},
                {"lineno", lineno},
                {"colno", colno}};
    errors.add(json::array({"body", pos}),
               msg + ": line " + std::to_string(lineno) + " column " + std::to_string(colno) +
                   " (char " + std::to_string(pos) + ")",
               "value_error.jsondecode", std::move(ctx));
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    errors.add(json::array({"body"}), "value is not a valid dict", "type_error.dict");
    return std::nullopt;
  }
  return parsed;
}

FieldRef body_field(const json& body, std::string field) {
  json loc = json::array({"body", field});
  return FieldRef{body, std::move(field), std::move(loc)};
}

std::optional<double> read_float(const FieldRef& ref, ValidationErrors& errors, bool allow_inf_nan) {
  const json* value = nullptr;
  if (!present(ref, errors, &value)) return std::nullopt;
  std::optional<double> number;
  if (value->is_number() || value->is_boolean())
    number = value->is_boolean() ? (value->get<bool>() ? 1.0 : 0.0) : value->get<double>();
  else if (value->is_string())
    number = python_float(value->get<std::string>());
  if (!number) {
    errors.add(ref.loc, "value is not a valid float", "type_error.float");
    return std::nullopt;
  }
  if (!allow_inf_nan && !std::isfinite(*number)) {
    errors.add(ref.loc, "ensure this value is a finite number",
               "value_error.number.not_finite_number");
    return std::nullopt;
  }
  return number;
}

std::optional<long long> read_int(const FieldRef& ref, ValidationErrors& errors) {
  const json* value = nullptr;
  if (!present(ref, errors, &value)) return std::nullopt;
  std::optional<long long> number;
  if (value->is_boolean()) {
    number = value->get<bool>() ? 1 : 0;
  } else if (value->is_number_integer()) {
    number = value->is_number_unsigned() && value->get<uint64_t>() > INT64_MAX
                 ? std::nullopt : std::optional<long long>(value->get<long long>());
  } else if (value->is_number_float()) {
    const double d = value->get<double>();  // int(2.7) == 2, as pydantic v1 does
    if (std::isfinite(d) && std::fabs(d) < 9.2e18) number = static_cast<long long>(std::trunc(d));
  } else if (value->is_string()) {
    number = python_int(value->get<std::string>());
  }
  if (!number) errors.add(ref.loc, "value is not a valid integer", "type_error.integer");
  return number;
}

std::optional<bool> read_bool(const FieldRef& ref, ValidationErrors& errors) {
  const json* value = nullptr;
  if (!present(ref, errors, &value)) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_number()) {  // 1 and 1.0 are in pydantic's BOOL_TRUE set; 2 is in neither
    const double d = value->get<double>();
    if (d == 1) return true;
    if (d == 0) return false;
  } else if (value->is_string()) {
    std::string text = value->get<std::string>();
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* yes : {"1", "on", "t", "true", "y", "yes"})
      if (text == yes) return true;
    for (const char* no : {"0", "off", "f", "false", "n", "no"})
      if (text == no) return false;
  }
  errors.add(ref.loc, "value could not be parsed to a boolean", "type_error.bool");
  return std::nullopt;
}

std::optional<std::string> read_str(const FieldRef& ref, ValidationErrors& errors) {
  const json* value = nullptr;
  if (!present(ref, errors, &value)) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  if (value->is_boolean()) return value->get<bool>() ? "True" : "False";  // str(True)
  if (value->is_number_integer()) return value->dump();
  if (value->is_number_float()) {
    std::string text = value->dump();  // Python's repr keeps a ".0" on whole numbers
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  }
  errors.add(ref.loc, "str type expected", "type_error.str");
  return std::nullopt;
}

std::optional<long long> read_int_literal(const FieldRef& ref,
                                          std::initializer_list<long long> permitted,
                                          ValidationErrors& errors) {
  const json* value = nullptr;
  if (!present(ref, errors, &value)) return std::nullopt;
  if (value->is_number() || value->is_boolean()) {
    const double d = value->is_boolean() ? (value->get<bool>() ? 1 : 0) : value->get<double>();
    for (long long p : permitted)
      if (d == static_cast<double>(p)) return p;
  }
  std::string listed;
  json permitted_json = json::array();
  for (long long p : permitted) {
    listed += (listed.empty() ? "" : ", ") + std::to_string(p);
    permitted_json.push_back(p);
  }
  errors.add(ref.loc, "unexpected value; permitted: " + listed, "value_error.const",
             {{"given", *value}, {"permitted", permitted_json}});
  return std::nullopt;
}

bool check_ge(const FieldRef& ref, double value, long long limit, ValidationErrors& errors) {
  if (value >= static_cast<double>(limit)) return true;
  errors.add(ref.loc, "ensure this value is greater than or equal to " + python_number_text(limit),
             "value_error.number.not_ge", {{"limit_value", limit}});
  return false;
}

bool check_gt(const FieldRef& ref, double value, long long limit, ValidationErrors& errors) {
  if (value > static_cast<double>(limit)) return true;
  errors.add(ref.loc, "ensure this value is greater than " + python_number_text(limit),
             "value_error.number.not_gt", {{"limit_value", limit}});
  return false;
}

bool check_le(const FieldRef& ref, double value, long long limit, ValidationErrors& errors) {
  if (value <= static_cast<double>(limit)) return true;
  errors.add(ref.loc, "ensure this value is less than or equal to " + python_number_text(limit),
             "value_error.number.not_le", {{"limit_value", limit}});
  return false;
}

}  // namespace upres::server
