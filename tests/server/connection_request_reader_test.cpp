// ConnectionRequestReader: heads split anywhere, chunked bodies decoded and limited as they
// arrive, pipelined requests left in place, and the refusals (400, 413, 431, 501).
#include "server/connection_request_reader.h"

#include <gtest/gtest.h>

namespace upres::server {
namespace {

using State = ConnectionRequestReader::State;

RequestLimits small_limits() {
  RequestLimits limits;
  limits.max_header_bytes = 256;
  limits.max_header_count = 4;
  limits.max_body_bytes = 100;
  return limits;
}

// Feeds `bytes` one at a time, as the slowest client would.
State feed_bytewise(ConnectionRequestReader& reader, std::string_view bytes, std::string& input) {
  State state = reader.state();
  for (char c : bytes) {
    input.push_back(c);
    state = reader.consume(input);
  }
  return state;
}

TEST(ConnectionRequestReader, HeadSplitAnywhereAndLengthBodyAreFramed) {
  ConnectionRequestReader reader(small_limits());
  std::string input;
  const std::string request = "\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(feed_bytewise(reader, request.substr(0, 30), input), State::kHead);
  EXPECT_TRUE(reader.started());
  EXPECT_EQ(feed_bytewise(reader, request.substr(30, request.size() - 33), input), State::kBody);
  EXPECT_EQ(reader.declared_body_bytes(), 5);
  input += request.substr(request.size() - 3) + "GET /next";  // the next request starts
  ASSERT_EQ(reader.consume(input), State::kComplete);
  EXPECT_EQ(reader.take_head(), "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(reader.take_body(), "hello");
  EXPECT_EQ(input, "GET /next");
  reader.reset();
  EXPECT_FALSE(reader.started());
  EXPECT_EQ(reader.consume(input), State::kHead);
}

TEST(ConnectionRequestReader, ChunkedBodyIsDecodedAndTheHeadGetsItsLength) {
  ConnectionRequestReader reader(small_limits());
  std::string input;
  const std::string request =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nExpect: 100-continue\r\nHost: a\r\n\r\n"
      "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  const size_t head_end = request.find("\r\n\r\n") + 4;
  EXPECT_EQ(feed_bytewise(reader, request.substr(0, head_end), input), State::kBody);
  EXPECT_TRUE(reader.expects_continue());
  EXPECT_EQ(feed_bytewise(reader, request.substr(head_end), input), State::kComplete);
  EXPECT_FALSE(reader.expects_continue());
  EXPECT_EQ(reader.take_head(), "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\n\r\n");
  EXPECT_EQ(reader.take_body(), "abc0123456789");
  EXPECT_TRUE(input.empty());
}

TEST(ConnectionRequestReader, ChunkedBodyOverTheLimitIsRefusedWhenItsSizeLineArrives) {
  ConnectionRequestReader reader(small_limits());
  std::string input = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n";
  input += std::string(80, 'a') + "\r\n";
  EXPECT_EQ(reader.consume(input), State::kBody);
  EXPECT_EQ(reader.body_bytes(), 80);
  input += "15\r\n";  // 80 + 21 > 100: refused before the 21 bytes are sent
  EXPECT_EQ(reader.consume(input), State::kRefused);
  EXPECT_EQ(reader.refusal_http_status(), 413);
  EXPECT_NE(reader.refusal().message().find("limit of 100 bytes"), std::string::npos);
}

TEST(ConnectionRequestReader, DeclaredLengthOverTheLimitIsRefusedBeforeAnyBody) {
  ConnectionRequestReader reader(small_limits());
  std::string input = "POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n";
  EXPECT_EQ(reader.consume(input), State::kRefused);
  EXPECT_EQ(reader.refusal_http_status(), 413);
}

TEST(ConnectionRequestReader, OversizedOrCrowdedHeadsAre431) {
  ConnectionRequestReader big(small_limits());
  std::string input = "GET / HTTP/1.1\r\nX: " + std::string(300, 'a');  // no end in sight
  EXPECT_EQ(big.consume(input), State::kRefused);
  EXPECT_EQ(big.refusal_http_status(), 431);

  ConnectionRequestReader crowded(small_limits());
  input = "GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n\r\n";
  EXPECT_EQ(crowded.consume(input), State::kRefused);
  EXPECT_EQ(crowded.refusal_http_status(), 431);
}

TEST(ConnectionRequestReader, AmbiguousOrUnsupportedFramingIsRefused) {
  const std::pair<std::string, int> cases[] = {
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\n folded: line\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400},
  };
  for (const auto& [request, status] : cases) {
    ConnectionRequestReader reader(small_limits());
    std::string input = request;
    EXPECT_EQ(reader.consume(input), State::kRefused) << request;
    EXPECT_EQ(reader.refusal_http_status(), status) << request;
  }
}

}  // namespace
}  // namespace upres::server
