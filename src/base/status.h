// Status: the one error type of upres. A category plus a message naming the file, tensor or
// offset at fault. Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace upres {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller asked for something impossible (bad option, bad range)
  kCorrupt,          // a file or stream is malformed or truncated
  kUnsupported,      // well-formed, but a feature upres does not handle
  kNotFound,         // a file, model or name does not exist
  kIoError,          // the operating system refused a read, write or rename
  kCancelled,        // the user interrupted the work
  kResourceExhausted,  // memory or a configured limit (pixels, bytes) ran out
  kInternal,         // a bug in upres
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "Corrupt: photo.png: truncated IDAT chunk"
  std::string to_string() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
inline Status corrupt(std::string message) { return {StatusCode::kCorrupt, std::move(message)}; }
inline Status unsupported(std::string message) { return {StatusCode::kUnsupported, std::move(message)}; }
inline Status not_found(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status io_error(std::string message) { return {StatusCode::kIoError, std::move(message)}; }
inline Status cancelled(std::string message) { return {StatusCode::kCancelled, std::move(message)}; }
inline Status resource_exhausted(std::string message) { return {StatusCode::kResourceExhausted, std::move(message)}; }
inline Status internal_error(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

}  // namespace upres

#define UPRES_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::upres::Status upres_status_ = (expr);  \
    if (!upres_status_.is_ok()) return upres_status_; \
  } while (0)
