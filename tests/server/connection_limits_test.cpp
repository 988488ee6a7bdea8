// A real server process against hostile and careless clients: many idle and half-sent
// connections do not block others, a slow-loris head is cut off, oversized bodies (chunked or
// declared) get 413 without the server holding them, and one address cannot take every connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "api_test_support.h"
#include "server_process.h"

namespace upres::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A raw TCP connection to the server; closed when destroyed.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(RawConnection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

  bool is_open() const { return fd_ >= 0; }
  bool send_text(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Whether the server has answered or closed (a read would not block).
  bool answered_within(std::chrono::milliseconds wait) {
    pollfd fd{fd_, POLLIN, 0};
    return poll(&fd, 1, static_cast<int>(wait.count())) > 0;
  }
  // Everything the server sends until it closes, or until `wait` has passed.
  std::string read_until_closed(std::chrono::milliseconds wait) {
    std::string out;
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (!answered_within(left)) break;
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

int status_of(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return -1;
  return std::stoi(answer.substr(9, 3));
}

// Peak resident memory of a process, in MiB (VmHWM); -1 when unreadable.
double peak_rss_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

class ConnectionLimitsTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> flags) {
    flags.insert(flags.end(), {"--max-upload-bytes", "1048576", "--slow-ms", "200"});
    server_ = std::make_unique<ServerProcess>(test_server_path(), flags);
    ASSERT_GT(server_->port(), 0) << server_->startup_output();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_connection_timeout(5);
    c.set_read_timeout(5);  // the old server held such a request until its 30 s read timeout
    return c;
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ConnectionLimitsTest, IdleAndHalfSentConnectionsDoNotBlockOtherClients) {
  start({"--max-connections-per-client", "200"});  // all come from 127.0.0.1
  // More than the old fixed pool of 32 threads, in every state a stalled client can be in.
  std::vector<RawConnection> stalled;
  for (int i = 0; i < 100; ++i) stalled.emplace_back(server_->port());
  for (int i = 0; i < 20; ++i) {
    stalled.emplace_back(server_->port());
    ASSERT_TRUE(stalled.back().send_text("GET /sdapi/v1/progress HTTP/1.1\r\nHost: x\r\n"));
  }
  for (int i = 0; i < 20; ++i) {
    stalled.emplace_back(server_->port());
    ASSERT_TRUE(stalled.back().send_text(
        "POST /sdapi/v1/extra-single-image HTTP/1.1\r\nContent-Length: 5000\r\n\r\n{\"image\""));
  }
  for (const auto& connection : stalled) ASSERT_TRUE(connection.is_open());

  auto c = client();
  auto progress = c.Get("/sdapi/v1/progress");
  ASSERT_TRUE(progress) << httplib::to_string(progress.error());
  EXPECT_EQ(progress->status, 200);
  auto page = c.Get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  auto upscaled = post_json(
      c, "/sdapi/v1/extra-single-image",
      {{"image", make_png_base64(16, 16)}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", 2}});
  ASSERT_TRUE(upscaled) << httplib::to_string(upscaled.error());
  EXPECT_EQ(upscaled->status, 200) << upscaled->body;
}

TEST_F(ConnectionLimitsTest, SlowLorisHeadIsCutOffByTheHeaderTimeout) {
  start({"--header-timeout-ms", "1000"});
  RawConnection loris(server_->port());
  ASSERT_TRUE(loris.send_text("GET /sdapi/v1/progress HTTP/1.1\r\n"));
  const auto started = Clock::now();
  // A new header field every 100 ms: each read makes progress, the head never ends.
  bool cut_off = false;
  for (int i = 0; i < 50 && !cut_off; ++i) {
    if (!loris.send_text("X-Slow: " + std::to_string(i) + "\r\n")) break;
    cut_off = loris.answered_within(std::chrono::milliseconds(100));
  }
  const std::string answer = loris.read_until_closed(std::chrono::seconds(3));
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(status_of(answer), 408) << answer;
  EXPECT_LT(seconds, 4.0) << "the 1 s header timeout let the head trickle on";
  EXPECT_NE(answer.find("headers: not complete"), std::string::npos) << answer;
}

TEST_F(ConnectionLimitsTest, ConnectionThatSendsNothingIsClosedAfterTheIdleTimeout) {
  start({"--idle-timeout-ms", "500"});
  RawConnection idle(server_->port());
  const auto started = Clock::now();
  const std::string answer = idle.read_until_closed(std::chrono::seconds(5));
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_TRUE(answer.empty()) << answer;
  EXPECT_LT(seconds, 3.0);
  // Keep-alive: a finished request's connection is kept, then closed the same way.
  RawConnection keep_alive(server_->port());
  ASSERT_TRUE(keep_alive.send_text("GET /sdapi/v1/progress HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string answered = keep_alive.read_until_closed(std::chrono::seconds(5));
  EXPECT_EQ(status_of(answered), 200) << answered;
}

TEST_F(ConnectionLimitsTest, ChunkedUploadBeyondTheLimitGets413WithServerMemoryBounded) {
  start({});
  const double rss_before = peak_rss_mib(server_->pid());
  ASSERT_GT(rss_before, 0);
  RawConnection upload(server_->port());
  ASSERT_TRUE(upload.send_text(
      "POST /sdapi/v1/extra-single-image HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n"));
  // Up to 256 MiB in 64 KiB chunks; the old server took all of it (and 4x that in memory).
  const std::string chunk = "10000\r\n" + std::string(65536, ' ') + "\r\n";
  size_t sent = 0;
  while (sent < (size_t{256} << 20) && !upload.answered_within(std::chrono::milliseconds(0))) {
    if (!upload.send_text(chunk)) break;
    sent += 65536;
  }
  const std::string answer = upload.read_until_closed(std::chrono::seconds(5));
  EXPECT_EQ(status_of(answer), 413) << answer.substr(0, 200);
  EXPECT_NE(answer.find("limit of 1048576 bytes"), std::string::npos) << answer.substr(0, 400);
  EXPECT_LT(sent, size_t{64} << 20) << "the server kept reading past its 1 MiB limit";
  const double rss_after = peak_rss_mib(server_->pid());
  EXPECT_LT(rss_after - rss_before, 32.0)
      << "server peak RSS went from " << rss_before << " to " << rss_after << " MiB";
  // The server is still there for others.
  auto progress = client().Get("/sdapi/v1/progress");
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->status, 200);
}

TEST_F(ConnectionLimitsTest, DeclaredLengthOverTheLimitGets413BeforeTheBodyIsSent) {
  start({});
  RawConnection upload(server_->port());
  ASSERT_TRUE(upload.send_text(
      "POST /sdapi/v1/extra-single-image HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1073741824\r\n\r\n"));
  // No body byte is sent: the answer must come from the head alone.
  ASSERT_TRUE(upload.answered_within(std::chrono::seconds(3)));
  const std::string answer = upload.read_until_closed(std::chrono::seconds(3));
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
}

// Refusals made before routing (413, 408, 431) carry the CORS headers the routes add when the
// request's Origin is allowed, so a browser page sees the status rather than a CORS error.
TEST_F(ConnectionLimitsTest, RefusalsBeforeRoutingCarryCorsHeadersForAllowedOrigins) {
  start({"--cors-allow-origins", "http://ok.example", "--header-timeout-ms", "800", "--read-timeout-ms", "800"});
  const std::string post = "POST /sdapi/v1/extra-single-image HTTP/1.1\r\nHost: x\r\n";
  auto refusal = [&](const std::string& origin, const std::string& rest, bool whole_head) {
    RawConnection connection(server_->port());
    EXPECT_TRUE(connection.send_text(post + "Origin: " + origin + "\r\n" + rest + (whole_head ? "\r\n" : "")));
    return connection.read_until_closed(std::chrono::seconds(4));
  };
  const std::string allowed = "Access-Control-Allow-Origin: http://ok.example\r\n";
  struct Case {
    const char* name;
    std::string rest;
    bool whole_head;
    int status;
  };
  const Case cases[] = {
      {"declared body too large", "Content-Length: 1073741824\r\n", true, 413},
      {"body pause", "Content-Length: 10\r\n\r\n{\"a\"", false, 408},
      {"head never ends", "X-Slow: 1\r\n", false, 408},
      {"head too large", "X-Big: " + std::string(40 << 10, 'a') + "\r\n", true, 431},
  };
  for (const Case& c : cases) {
    const std::string answer = refusal("http://ok.example", c.rest, c.whole_head);
    EXPECT_EQ(status_of(answer), c.status) << c.name << ": " << answer.substr(0, 300);
    EXPECT_NE(answer.find(allowed), std::string::npos) << c.name << ": " << answer.substr(0, 400);
    EXPECT_NE(answer.find("Access-Control-Allow-Credentials: true\r\n"), std::string::npos) << c.name;
  }
  const std::string other = refusal("http://evil.example", cases[0].rest, true);
  EXPECT_EQ(status_of(other), 413) << other;
  EXPECT_EQ(other.find("Access-Control-Allow-Origin"), std::string::npos) << other;
}

// A request's body is held once while it runs: the connection's buffer is moved into httplib's
// Request, not copied beside it (which, grown by doubling, cost up to three times the body).
TEST(ConnectionBodyMemoryTest, ALargeBodyIsHeldOnceWhileItsRequestRuns) {
  constexpr size_t kBodyBytes = size_t{64} << 20;
  ServerProcess server(test_server_path(), {"--max-upload-bytes", std::to_string(2 * kBodyBytes)});
  ASSERT_GT(server.port(), 0) << server.startup_output();
  const double rss_before = peak_rss_mib(server.pid());
  ASSERT_GT(rss_before, 0);
  RawConnection upload(server.port());
  ASSERT_TRUE(upload.send_text("POST /api/v1/nothing-here HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                               std::to_string(kBodyBytes) + "\r\n\r\n"));
  const std::string block(size_t{1} << 20, 'x');
  for (size_t sent = 0; sent < kBodyBytes; sent += block.size()) ASSERT_TRUE(upload.send_text(block));
  const std::string answer = upload.read_until_closed(std::chrono::seconds(2));
  EXPECT_EQ(status_of(answer), 404) << answer.substr(0, 300);
  const double grown = peak_rss_mib(server.pid()) - rss_before;
  EXPECT_GT(grown, 60.0) << "the body never reached the server";
  EXPECT_LT(grown, 64.0 * 1.4) << "server peak RSS grew " << grown << " MiB for a 64 MiB body";
}

TEST_F(ConnectionLimitsTest, ChunkedAndPipelinedRequestsWithinTheLimitsAreServed) {
  start({});
  RawConnection connection(server_->port());
  const std::string body = nlohmann::json{
      {"image", make_png_base64(8, 8)},
      {"upscaler_1", "Lanczos"},
      {"upscaling_resize", 2}}.dump();
  std::string request =
      "POST /sdapi/v1/extra-single-image HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < body.size(); at += 100) {
    const std::string part = body.substr(at, 100);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    request += size + part + "\r\n";
  }
  request += "0\r\n\r\nGET /sdapi/v1/progress HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(connection.send_text(request));
  const std::string answers = connection.read_until_closed(std::chrono::seconds(10));
  EXPECT_EQ(status_of(answers), 200) << answers.substr(0, 400);
  const size_t second = answers.find("HTTP/1.1 ", 1);
  ASSERT_NE(second, std::string::npos) << answers.substr(0, 400);
  EXPECT_EQ(status_of(answers.substr(second)), 200) << answers.substr(second, 200);
  EXPECT_NE(answers.find("\"image\""), std::string::npos);
  EXPECT_NE(answers.find("\"progress\""), std::string::npos);
}

TEST_F(ConnectionLimitsTest, OneClientAddressCannotTakeEveryConnection) {
  start({"--max-connections-per-client", "20"});
  std::vector<RawConnection> held;
  for (int i = 0; i < 20; ++i) held.emplace_back(server_->port());
  RawConnection extra(server_->port());
  ASSERT_TRUE(extra.is_open());
  const std::string refused = extra.read_until_closed(std::chrono::seconds(3));
  EXPECT_EQ(status_of(refused), 429) << refused;
  held.pop_back();  // one freed: the next connection is served
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto progress = client().Get("/sdapi/v1/progress");
  ASSERT_TRUE(progress) << httplib::to_string(progress.error());
  EXPECT_EQ(progress->status, 200);
}

// Behind a trusted reverse proxy every client shares its address: the proxy's connections are not
// limited per address; each request counts against the client X-Forwarded-For names.
TEST_F(ConnectionLimitsTest, TrustedProxyConnectionsCountPerForwardedClient) {
  start({"--max-connections-per-client", "2", "--trusted-proxies", "127.0.0.1"});
  std::vector<RawConnection> held;
  for (int i = 0; i < 4; ++i) held.emplace_back(server_->port());  // more than 2 from the proxy
  const std::string slow =
      nlohmann::json{{"image", make_png_base64(4, 4)}, {"upscaler_1", "Slow test"}, {"upscaling_resize", 2}}.dump();
  auto request = [&](const std::string& client) {
    return "POST /sdapi/v1/extra-single-image HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Connection: close\r\nX-Forwarded-For: 6.6.6.6, " + client + "\r\nContent-Length: " + std::to_string(slow.size()) +
           "\r\n\r\n" + slow;
  };
  // Two slow requests from 10.0.0.1 run (one waits in the queue); its third is refused at once.
  ASSERT_TRUE(held[0].send_text(request("10.0.0.1")));
  ASSERT_TRUE(held[1].send_text(request("10.0.0.1")));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(held[2].send_text(request("10.0.0.1")));
  const std::string refused = held[2].read_until_closed(std::chrono::seconds(2));
  EXPECT_EQ(status_of(refused), 429) << refused;
  EXPECT_NE(refused.find("from 10.0.0.1 (through 127.0.0.1)"), std::string::npos) << refused;
  // Another client through the same proxy is not held back by the first one's requests.
  ASSERT_TRUE(held[3].send_text(request("10.0.0.2")));
  const std::string served = held[3].read_until_closed(std::chrono::seconds(5));
  EXPECT_EQ(status_of(served), 200) << served.substr(0, 300);
}

}  // namespace
}  // namespace upres::server::testing
