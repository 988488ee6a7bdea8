// ConnectionRequestReader: frames one HTTP/1.1 request out of the bytes a connection delivers, as
// they arrive: the head (size and field-count limits), then the body (Content-Length or chunked),
// counted against the body limit while it arrives, so an oversized body is refused after at most
// the limit plus one read. A chunked body is decoded here and the head rewritten with its
// Content-Length, so httplib, which does not limit chunked bodies, only ever sees plain requests.
// Not thread-safe: one per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace upres::server {

struct RequestLimits {
  size_t max_header_bytes = size_t{32} << 10;   // request line and header fields together
  size_t max_header_count = 100;                // header fields
  int64_t max_body_bytes = int64_t{200} << 20;  // decoded body
};

class ConnectionRequestReader {
 public:
  enum class State {
    kHead,      // waiting for the rest of the request line and header fields
    kBody,      // head complete, body bytes pending
    kComplete,  // take_head() and take_body() hold the request
    kRefused,   // refusal() says what to answer; the connection must close afterwards
  };

  explicit ConnectionRequestReader(RequestLimits limits);

  // Moves the bytes of the current request out of `input`; what stays in `input` once kComplete
  // is the start of the next (pipelined) request. Returns the state after.
  State consume(std::string& input);
  State state() const { return state_; }

  // Whether any byte of this request (blank lines before it excepted) has arrived.
  bool started() const { return started_; }
  // The head asked for "100 Continue" and the body has not started.
  bool expects_continue() const { return expects_continue_; }
  // Content-Length as declared; 0 for none or chunked.
  int64_t declared_body_bytes() const { return declared_length_; }
  // Decoded body bytes held so far.
  int64_t body_bytes() const { return static_cast<int64_t>(body_.size()); }

  // The X-Forwarded-For fields of the head, joined by ", " in order; empty if none.
  const std::string& forwarded_for() const { return forwarded_for_; }
  // Whether the head's Content-Type is multipart/form-data (httplib parses it while reading).
  bool is_multipart() const { return is_multipart_; }
  // The Origin field of the head, once read (for CORS headers on a refusal); empty if none.
  const std::string& origin() const { return origin_; }
  // The Origin field among the complete lines of a head still arriving; empty if none.
  static std::string find_origin(std::string_view partial_head);

  // kRefused: the HTTP status to answer (400, 413, 431, 501) and why.
  int refusal_http_status() const { return refusal_http_status_; }
  const Status& refusal() const { return refusal_; }

  // kComplete: the head (Expect, Transfer-Encoding removed; Content-Length exact) and the body.
  std::string take_head() { return std::move(head_); }
  std::string take_body() { return std::move(body_); }

  // Ready for the next request on the same connection.
  void reset();

 private:
  enum class ChunkStep { kSizeLine, kData, kDataEnd, kTrailer };

  State consume_head(std::string& input);
  State parse_head(std::string_view head);
  State consume_length_body(std::string& input);
  State consume_chunked_body(std::string& input);
  State complete_chunked();
  State refuse(int http_status, Status why);
  State refuse_body_too_large();

  RequestLimits limits_;
  State state_ = State::kHead;
  bool started_ = false;
  bool expects_continue_ = false;
  bool chunked_ = false;
  int64_t declared_length_ = 0;
  size_t head_scan_from_ = 0;
  std::string head_;
  std::string body_;
  ChunkStep chunk_step_ = ChunkStep::kSizeLine;
  std::string chunk_line_;
  uint64_t chunk_left_ = 0;
  size_t trailer_bytes_ = 0;
  int refusal_http_status_ = 0;
  Status refusal_;
  std::string origin_;
  std::string forwarded_for_;
  bool is_multipart_ = false;
};

}  // namespace upres::server
