// Result<T>: a value or the Status that explains why there is none.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "base/status.h"

namespace upres {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.is_ok() && "a Result built from a Status must carry an error");
    if (status_.is_ok()) status_ = internal_error("Result built from an OK status");
  }

  bool is_ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // Requires: is_ok().
  T& value() & { assert(is_ok()); return *value_; }
  const T& value() const& { assert(is_ok()); return *value_; }
  T&& value() && { assert(is_ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace upres

#define UPRES_CONCAT_INNER(a, b) a##b
#define UPRES_CONCAT(a, b) UPRES_CONCAT_INNER(a, b)
#define UPRES_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.is_ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
// UPRES_ASSIGN_OR_RETURN(auto image, decode_image(bytes));
#define UPRES_ASSIGN_OR_RETURN(lhs, expr) \
  UPRES_ASSIGN_OR_RETURN_IMPL(UPRES_CONCAT(upres_result_, __LINE__), lhs, expr)
