// ConnectionRequestReader: incremental framing of the head, Content-Length and chunked bodies.
#include "server/connection_request_reader.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace upres::server {
namespace {

constexpr std::string_view kHeadEnd = "\r\n\r\n";
constexpr size_t kMaxChunkLineBytes = 1024;  // hex size plus extensions

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Decimal Content-Length; -1 when malformed or beyond 2^62.
int64_t parse_length(std::string_view text) {
  if (text.empty() || text.size() > 18) return -1;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Hex chunk size before any ";extension"; -1 when malformed or beyond 2^60.
int64_t parse_chunk_size(std::string_view line) {
  line = trim(line.substr(0, line.find(';')));
  if (line.empty() || line.size() > 15) return -1;
  int64_t value = 0;
  for (char c : line) {
    const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                  : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

}  // namespace

ConnectionRequestReader::ConnectionRequestReader(RequestLimits limits) : limits_(limits) {}

std::string ConnectionRequestReader::find_origin(std::string_view partial_head) {
  partial_head = partial_head.substr(0, std::min(partial_head.size(), size_t{1} << 20));
  for (size_t at = partial_head.find("\r\n"); at != std::string_view::npos;) {
    const size_t start = at + 2;
    const size_t end = partial_head.find("\r\n", start);
    if (end == std::string_view::npos) break;  // an incomplete line may be cut inside the value
    const std::string_view line = partial_head.substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && lower(line.substr(0, colon)) == "origin")
      return std::string(trim(line.substr(colon + 1)).substr(0, 2048));
    at = end;
  }
  return "";
}

void ConnectionRequestReader::reset() {
  const RequestLimits limits = limits_;
  *this = ConnectionRequestReader(limits);
}

ConnectionRequestReader::State ConnectionRequestReader::refuse(int http_status, Status why) {
  refusal_http_status_ = http_status;
  refusal_ = std::move(why);
  head_.clear();
  body_.clear();
  body_.shrink_to_fit();
  return state_ = State::kRefused;
}

ConnectionRequestReader::State ConnectionRequestReader::refuse_body_too_large() {
  return refuse(413, resource_exhausted("body: larger than this server's limit of " +
                                        std::to_string(limits_.max_body_bytes) + " bytes"));
}

ConnectionRequestReader::State ConnectionRequestReader::consume(std::string& input) {
  if (state_ == State::kHead) state_ = consume_head(input);
  if (state_ == State::kBody)
    state_ = chunked_ ? consume_chunked_body(input) : consume_length_body(input);
  return state_;
}

ConnectionRequestReader::State ConnectionRequestReader::consume_head(std::string& input) {
  if (!started_) {
    // A client may send blank lines between requests (RFC 9112 2.2); they are not a request.
    size_t blank = 0;
    while (blank < input.size() && (input[blank] == '\r' || input[blank] == '\n')) ++blank;
    input.erase(0, blank);
    if (input.empty()) return State::kHead;
    started_ = true;
  }
  const size_t end = input.find(kHeadEnd, head_scan_from_);
  if (end == std::string::npos) {
    if (input.size() > limits_.max_header_bytes) {
      origin_ = find_origin(input);  // the head is never parsed; its refusal still gets CORS
      return refuse(431, invalid_argument("headers: larger than this server's limit of " +
                                          std::to_string(limits_.max_header_bytes) + " bytes"));
    }
    head_scan_from_ = input.size() >= kHeadEnd.size() ? input.size() - kHeadEnd.size() + 1 : 0;
    return State::kHead;
  }
  if (end + kHeadEnd.size() > limits_.max_header_bytes) {
    origin_ = find_origin(std::string_view(input).substr(0, end + 2));
    return refuse(431, invalid_argument("headers: larger than this server's limit of " +
                                        std::to_string(limits_.max_header_bytes) + " bytes"));
  }
  const std::string head = input.substr(0, end + 2);  // request line and fields, each with CRLF
  input.erase(0, end + kHeadEnd.size());
  return parse_head(head);
}

ConnectionRequestReader::State ConnectionRequestReader::parse_head(std::string_view head) {
  size_t line_end = head.find("\r\n");
  std::string rewritten(head.substr(0, line_end + 2));  // the request line, kept as sent
  size_t fields = 0;
  bool has_length = false;
  bool has_transfer_encoding = false;
  for (size_t at = line_end + 2; at < head.size(); at = line_end + 2) {
    line_end = head.find("\r\n", at);
    const std::string_view line = head.substr(at, line_end - at);
    if (++fields > limits_.max_header_count)
      return refuse(431, invalid_argument("headers: more than this server's limit of " +
                                          std::to_string(limits_.max_header_count) + " fields"));
    const size_t colon = line.find(':');
    if (line.empty() || line.front() == ' ' || line.front() == '\t' || colon == 0 ||
        colon == std::string_view::npos ||
        line.substr(0, colon).find_first_of(" \t") != std::string_view::npos)
      return refuse(400, invalid_argument("headers: malformed field \"" +
                                          std::string(line.substr(0, 80)) + "\""));
    const std::string name = lower(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-length") {
      const int64_t length = parse_length(value);
      if (length < 0 || (has_length && length != declared_length_))
        return refuse(400,
                      invalid_argument("Content-Length: malformed or repeated with another value"));
      has_length = true;
      declared_length_ = length;
    } else if (name == "transfer-encoding") {
      // Only "chunked" alone: anything layered under it would need decoding this server lacks.
      if (has_transfer_encoding || lower(value) != "chunked")
        return refuse(501, unsupported("Transfer-Encoding: only \"chunked\" is supported"));
      has_transfer_encoding = true;
    } else if (name == "expect") {
      expects_continue_ = lower(value) == "100-continue";
    } else {
      if (name == "origin") origin_ = std::string(value.substr(0, 2048));
      if (name == "x-forwarded-for")
        forwarded_for_ += (forwarded_for_.empty() ? "" : ", ") + std::string(value);
      if (name == "content-type") is_multipart_ = lower(value).rfind("multipart/", 0) == 0;
      rewritten.append(line).append("\r\n");
    }
  }
  // Both framings at once is how requests are smuggled past proxies (RFC 9112 6.1): refuse.
  if (has_length && has_transfer_encoding)
    return refuse(400, invalid_argument("request: both Content-Length and Transfer-Encoding"));
  if (declared_length_ > limits_.max_body_bytes) return refuse_body_too_large();
  head_ = std::move(rewritten);
  chunked_ = has_transfer_encoding;
  if (!chunked_) {
    if (declared_length_ > 0) {
      head_ += "Content-Length: " + std::to_string(declared_length_) + "\r\n";
      body_.reserve(static_cast<size_t>(declared_length_));
    }
    head_ += "\r\n";
    if (declared_length_ == 0) {
      expects_continue_ = false;
      return State::kComplete;
    }
  }
  return State::kBody;
}

ConnectionRequestReader::State ConnectionRequestReader::consume_length_body(std::string& input) {
  if (!input.empty()) expects_continue_ = false;
  const size_t wanted = static_cast<size_t>(declared_length_) - body_.size();
  const size_t taken = std::min(wanted, input.size());
  body_.append(input, 0, taken);
  input.erase(0, taken);
  return taken == wanted ? State::kComplete : State::kBody;
}

ConnectionRequestReader::State ConnectionRequestReader::consume_chunked_body(std::string& input) {
  if (!input.empty()) expects_continue_ = false;
  size_t at = 0;
  while (at < input.size()) {
    if (chunk_step_ == ChunkStep::kData) {
      const size_t taken = static_cast<size_t>(std::min<uint64_t>(chunk_left_, input.size() - at));
      body_.append(input, at, taken);
      at += taken;
      chunk_left_ -= taken;
      if (chunk_left_ == 0) chunk_step_ = ChunkStep::kDataEnd;
      continue;
    }
    // The other steps read CRLF-terminated lines.
    const size_t newline = input.find('\n', at);
    const size_t line_bytes = (newline == std::string::npos ? input.size() : newline + 1) - at;
    if (chunk_line_.size() + line_bytes > kMaxChunkLineBytes)
      return refuse(400, invalid_argument("body: chunk line longer than 1024 bytes"));
    chunk_line_.append(input, at, line_bytes);
    at += line_bytes;
    if (newline == std::string::npos) break;
    std::string_view line(chunk_line_);
    line.remove_suffix(line.size() >= 2 && line[line.size() - 2] == '\r' ? 2 : 1);
    if (chunk_step_ == ChunkStep::kSizeLine) {
      const int64_t size = parse_chunk_size(line);
      if (size < 0) return refuse(400, invalid_argument("body: malformed chunk size"));
      if (size > limits_.max_body_bytes - body_bytes()) return refuse_body_too_large();
      chunk_left_ = static_cast<uint64_t>(size);
      chunk_step_ = size == 0 ? ChunkStep::kTrailer : ChunkStep::kData;
    } else if (chunk_step_ == ChunkStep::kDataEnd) {
      if (!line.empty())
        return refuse(400, invalid_argument("body: chunk data longer than its size"));
      chunk_step_ = ChunkStep::kSizeLine;
    } else {  // kTrailer: fields after the last chunk are read and dropped
      trailer_bytes_ += chunk_line_.size();
      if (trailer_bytes_ > limits_.max_header_bytes)
        return refuse(431, invalid_argument("trailer: larger than this server's limit of " +
                                            std::to_string(limits_.max_header_bytes) + " bytes"));
      if (line.empty()) {
        chunk_line_.clear();
        input.erase(0, at);
        return complete_chunked();
      }
    }
    chunk_line_.clear();
  }
  input.erase(0, at);
  return State::kBody;
}

ConnectionRequestReader::State ConnectionRequestReader::complete_chunked() {
  head_ += "Content-Length: " + std::to_string(body_.size()) + "\r\n\r\n";
  return State::kComplete;
}

}  // namespace upres::server
