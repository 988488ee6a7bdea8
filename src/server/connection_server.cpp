// ConnectionServer: the epoll front of `upres serve`.
//
// Why this design. Debian's cpp-httplib (0.11.4) gives every accepted socket a pool thread for its
// whole life: 32 idle or half-open connections held all 32 threads and froze every endpoint; its
// read timeout restarts on every byte, so a slow-loris head is never cut off; and it reads chunked
// bodies without any limit (600 MiB accepted, 2.8 GB RSS). A larger pool only moves the number.
// Replacing httplib (Boost.Beast, libmicrohttpd) would change the Request/Response interface every
// route handler uses. So httplib keeps what it does well, parsing one request and routing it to
// the handlers and guards, and this file takes over the connections: one thread owns every socket
// in an epoll loop while it is idle or still sending (no thread per connection), enforces the
// per-client and global connection limits, the idle, header and body timeouts and the head and body
// limits as bytes arrive (ConnectionRequestReader), and only a complete, framed request is handed
// to a worker (ConnectionWorkerPool) that runs httplib's process_request over it and writes the
// answer. Model work still runs on the JobQueue's own thread; workers only wait for it, and the
// pool grows, so waiting handlers and event streams cannot hold the only threads.
#include "server/connection_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/connection_stream.h"
#include "server/connection_worker_pool.h"
#include "server/json_response.h"

namespace upres::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunkBytes = size_t{64} << 10;
constexpr size_t kMaxReadPerWakeup = size_t{1} << 20;  // fairness between busy connections
// After an error answer the socket is drained for a while before it closes, so that the client,
// still sending, reads the answer instead of a connection reset.
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr size_t kMaxDrainBytes = size_t{8} << 20;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

const char* reason_phrase(int http_status) {
  switch (http_status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// A whole "Connection: close" answer with the JSON error body every route uses.
std::string error_answer(int http_status, const Status& why, const std::string& extra_headers = "") {
  httplib::Response response;
  send_error(response, why, http_status);
  return "HTTP/1.1 " + std::to_string(http_status) + " " + reason_phrase(http_status) +
         "\r\nContent-Type: " + response.get_header_value("Content-Type") +
         "\r\nContent-Length: " + std::to_string(response.body.size()) +
         "\r\nX-Content-Type-Options: nosniff\r\n" + extra_headers + "Connection: close\r\n\r\n" +
         response.body;
}

// Best effort: small answers fit the socket's send buffer; a client that cannot take them loses
// nothing it could have read anyway.
void send_now(int fd, const std::string& bytes) {
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

int milliseconds(std::chrono::milliseconds duration) {
  return static_cast<int>(std::min<int64_t>(duration.count(), 1'000'000'000));
}

struct Connection {
  enum class Phase { kIdle, kHead, kBody, kBusy, kDraining };
  Connection(int fd_in, std::string ip, int port, RequestLimits limits)
      : fd(fd_in), client_ip(std::move(ip)), client_port(port), reader(limits) {}

  const int fd;
  const std::string client_ip;
  const int client_port;
  Phase phase = Phase::kIdle;
  Clock::time_point deadline;  // of the current phase
  std::string input;           // bytes received and not yet framed
  ConnectionRequestReader reader;
  int64_t reserved_body_bytes = 0;  // share of max_buffered_body_bytes
  bool continue_sent = false;
  bool peer_closed = false;
  size_t drained_bytes = 0;
  // Handed to the worker with the connection (kBusy); the worker sets close_after.
  std::string request_head;
  std::string request_body;  // empty once moved into httplib's Request (HttpRouter::adopt_body)
  bool close_after = false;
  bool body_beside_httplib = false;  // request_body is adopted by the pre-routing handler
  bool is_from_proxy = false;        // a trusted proxy's: counted per request, not per connection
  std::string forwarded_client;      // the client its running request is counted against
  size_t requests_served = 0;
};

// The body the request running on this worker thread hands to HttpRouter::adopt_body.
thread_local std::string* pending_body = nullptr;

// The client a proxied request comes from: the rightmost X-Forwarded-For address that is not a
// trusted proxy (the ones left of it may be forged by the client); the proxy itself when none.
std::string forwarded_client(const std::string& forwarded_for, const std::vector<std::string>& trusted,
                             const std::string& proxy_ip) {
  size_t end = forwarded_for.size();
  while (end > 0) {
    const size_t comma = forwarded_for.rfind(',', end - 1);
    const size_t start = comma == std::string::npos ? 0 : comma + 1;
    std::string address = forwarded_for.substr(start, end - start);
    address.erase(0, address.find_first_not_of(" \t"));
    address.erase(address.find_last_not_of(" \t") + 1);
    if (!address.empty() && std::find(trusted.begin(), trusted.end(), address) == trusted.end())
      return address.substr(0, 64);
    if (comma == std::string::npos) break;
    end = comma;
  }
  return proxy_ip;
}

int open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
}

}  // namespace

void HttpRouter::adopt_body(const httplib::Request& request) {
  if (pending_body == nullptr) return;
  // httplib's Request is a local of process_request, not a const object: writing it is sound.
  const_cast<httplib::Request&>(request).body = std::move(*pending_body);
  pending_body = nullptr;
}

// The epoll thread's state. Every member but finished_ is touched by that thread alone; a
// connection in kBusy belongs to its worker until it comes back through finished_.
class ConnectionServer::Loop {
 public:
  explicit Loop(ConnectionServer& server)
      : server_(server),
        options_(server.options_),
        pool_(static_cast<size_t>(std::max(1, options_.worker_threads))),
        // Leave room for model files, the job queue's outputs and a few sockets per worker.
        max_connections_(std::max(16, std::min(options_.max_connections, open_file_limit() - 64))) {
  }
  ~Loop() {
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  Status run();

 private:
  void accept_clients(Clock::time_point now);
  void on_readable(Connection& connection, Clock::time_point now);
  void advance(Connection& connection, Clock::time_point now, bool received);
  void uncount_client(const std::string& client);  // one connection or request fewer; "" none
  bool reserve_body(Connection& connection);
  void refuse(Connection& connection, int http_status, const Status& why, Clock::time_point now);
  void dispatch(Connection& connection);
  void run_request(Connection& connection);
  void take_finished(Clock::time_point now);
  void sweep(Clock::time_point now);
  void release_body(Connection& connection);
  void close_connection(Connection& connection);
  void watch(int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
  void unwatch(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

  ConnectionServer& server_;
  const ConnectionOptions& options_;
  ConnectionWorkerPool pool_;
  const int max_connections_;
  int epoll_fd_ = -1;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, int> per_client_;
  int64_t buffered_body_bytes_ = 0;
  bool accepting_ = true;
  Clock::time_point resume_accepting_;
  std::mutex finished_mutex_;
  std::vector<Connection*> finished_;
};

Status ConnectionServer::Loop::run() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return io_error(std::string("epoll_create1: ") + std::strerror(errno));
  watch(server_.listen_socket_);
  watch(server_.wake_fd_);
  std::vector<epoll_event> events(256);
  Clock::time_point next_sweep = Clock::now();
  Status status;
  while (!server_.stopping_.load()) {
    const int ready = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                 milliseconds(kSweepInterval));
    if (ready < 0 && errno != EINTR) {
      status = io_error(std::string("epoll_wait: ") + std::strerror(errno));
      break;
    }
    const Clock::time_point now = Clock::now();
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == server_.listen_socket_) {
        accept_clients(now);
      } else if (fd == server_.wake_fd_) {
        uint64_t count;
        (void)::read(server_.wake_fd_, &count, sizeof count);
      } else if (auto found = connections_.find(fd);
                 found != connections_.end() && found->second->phase != Connection::Phase::kBusy) {
        on_readable(*found->second, now);
      }
    }
    take_finished(now);
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + kSweepInterval;
    }
  }
  // Stop: no new connections; requests in progress fail their next write and return.
  for (auto& [fd, connection] : connections_)
    if (connection->phase == Connection::Phase::kBusy) ::shutdown(fd, SHUT_RDWR);
  pool_.shutdown();
  take_finished(Clock::now());
  std::vector<Connection*> all;
  for (auto& [fd, connection] : connections_) all.push_back(connection.get());
  for (Connection* connection : all) close_connection(*connection);
  return status;
}

void ConnectionServer::Loop::accept_clients(Clock::time_point now) {
  for (;;) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = accept4(server_.listen_socket_, reinterpret_cast<sockaddr*>(&address), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the pending connection would wake us forever; look again later.
        unwatch(server_.listen_socket_);
        accepting_ = false;
        resume_accepting_ = now + kAcceptPause;
      }
      return;
    }
    auto [ip, port] = socket_address_text(address);
    if (static_cast<int>(connections_.size()) >= max_connections_) {
      send_now(fd,
               error_answer(503, resource_exhausted("server: too many connections; retry later")));
      close(fd);
      continue;
    }
    const bool is_from_proxy = std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(), ip) !=
                               options_.trusted_proxies.end();
    if (!is_from_proxy) {  // a proxy's requests are counted per client as they come (advance)
      int& count = per_client_[ip];
      if (count >= options_.max_connections_per_client) {
        send_now(fd, error_answer(
                         429, resource_exhausted("server: more than " +
                                                 std::to_string(options_.max_connections_per_client) +
                                                 " connections from " + ip)));
        close(fd);
        continue;
      }
      ++count;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_unique<Connection>(fd, std::move(ip), port, options_.request);
    connection->is_from_proxy = is_from_proxy;
    connection->deadline = now + options_.idle_timeout;
    connections_.emplace(fd, std::move(connection));
    watch(fd);
  }
}

void ConnectionServer::Loop::on_readable(Connection& connection, Clock::time_point now) {
  char buffer[kReadChunkBytes];
  size_t received = 0;
  while (received < kMaxReadPerWakeup) {
    const ssize_t n = ::recv(connection.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      received += static_cast<size_t>(n);
      if (connection.phase == Connection::Phase::kDraining) {
        connection.drained_bytes += static_cast<size_t>(n);
        if (connection.drained_bytes > kMaxDrainBytes) return close_connection(connection);
      } else {
        connection.input.append(buffer, static_cast<size_t>(n));
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    connection.peer_closed = true;  // end of stream or a reset
    break;
  }
  if (connection.phase != Connection::Phase::kDraining) advance(connection, now, received > 0);
  // A request completed by the last bytes is still answered; anything else is dropped.
  if (connection.peer_closed && connection.phase != Connection::Phase::kBusy)
    close_connection(connection);
}

void ConnectionServer::Loop::advance(Connection& connection, Clock::time_point now, bool received) {
  using State = ConnectionRequestReader::State;
  const State state = connection.reader.consume(connection.input);
  if (connection.phase == Connection::Phase::kIdle && connection.reader.started()) {
    connection.phase = Connection::Phase::kHead;
    connection.deadline = now + options_.header_timeout;  // the whole head, however it trickles
  }
  if (state == State::kHead) return;
  if (state == State::kRefused)
    return refuse(connection, connection.reader.refusal_http_status(), connection.reader.refusal(),
                  now);
  if (!reserve_body(connection))
    return refuse(connection, 503,
                  resource_exhausted("server: too many request bodies in transit; retry later"),
                  now);
  if (state == State::kComplete) {
    if (connection.is_from_proxy) {
      std::string client = forwarded_client(connection.reader.forwarded_for(), options_.trusted_proxies,
                                            connection.client_ip);
      if (per_client_[client] >= options_.max_connections_per_client)
        return refuse(connection, 429,
                      resource_exhausted("server: more than " + std::to_string(options_.max_connections_per_client) +
                                         " requests at once from " + client + " (through " + connection.client_ip +
                                         ")"),
                      now);
      ++per_client_[client];
      connection.forwarded_client = std::move(client);
    }
    return dispatch(connection);
  }
  // kBody: the timeout is the longest pause between bytes.
  if (connection.phase != Connection::Phase::kBody || received) {
    connection.phase = Connection::Phase::kBody;
    connection.deadline = now + options_.read_timeout;
  }
  if (connection.reader.expects_continue() && !connection.continue_sent) {
    send_now(connection.fd, "HTTP/1.1 100 Continue\r\n\r\n");
    connection.continue_sent = true;
  }
}

bool ConnectionServer::Loop::reserve_body(Connection& connection) {
  const int64_t wanted =
      std::max(connection.reader.declared_body_bytes(), connection.reader.body_bytes());
  if (wanted <= connection.reserved_body_bytes) return true;
  const int64_t more = wanted - connection.reserved_body_bytes;
  if (buffered_body_bytes_ + more > options_.max_buffered_body_bytes) return false;
  buffered_body_bytes_ += more;
  connection.reserved_body_bytes = wanted;
  return true;
}

void ConnectionServer::Loop::release_body(Connection& connection) {
  buffered_body_bytes_ -= connection.reserved_body_bytes;
  connection.reserved_body_bytes = 0;
}

void ConnectionServer::Loop::refuse(Connection& connection, int http_status, const Status& why,
                                    Clock::time_point now) {
  // A browser shows a cross-origin page the status only with the CORS headers the routes add.
  std::string headers;
  if (options_.refusal_headers) {
    std::string origin = connection.reader.origin();
    // A head cut off by its timeout: `input` holds it (and nothing of a body yet).
    if (origin.empty() && connection.reader.state() == ConnectionRequestReader::State::kHead)
      origin = ConnectionRequestReader::find_origin(connection.input);
    if (!origin.empty()) headers = options_.refusal_headers(origin);
  }
  send_now(connection.fd, error_answer(http_status, why, headers));
  ::shutdown(connection.fd, SHUT_WR);
  release_body(connection);
  connection.reader.reset();
  connection.input.clear();
  connection.input.shrink_to_fit();
  connection.phase = Connection::Phase::kDraining;
  connection.deadline = now + kDrainTime;
}

void ConnectionServer::Loop::dispatch(Connection& connection) {
  unwatch(connection.fd);
  connection.phase = Connection::Phase::kBusy;
  connection.request_head = connection.reader.take_head();
  connection.request_body = connection.reader.take_body();
  connection.body_beside_httplib = false;
  const std::string length_field = "Content-Length: " + std::to_string(connection.request_body.size()) + "\r\n\r\n";
  if (!connection.request_body.empty() && !connection.reader.is_multipart() &&
      connection.request_head.ends_with(length_field)) {
    connection.request_head.replace(connection.request_head.size() - length_field.size(), length_field.size(),
                                    "Content-Length: 0\r\n\r\n");
    connection.body_beside_httplib = true;
  }
  connection.reader.reset();
  Connection* handed = &connection;
  pool_.submit([this, handed] { run_request(*handed); });
}

// On a worker thread.
void ConnectionServer::Loop::run_request(Connection& connection) {
  bool client_closes = false;
  bool answered = false;
  {
    const std::string no_body;
    ConnectionStream stream(connection.fd, connection.request_head,
                            connection.body_beside_httplib ? no_body : connection.request_body,
                            {connection.client_ip, connection.client_port}, options_.write_timeout);
    pending_body = connection.body_beside_httplib ? &connection.request_body : nullptr;
    const bool last =
        ++connection.requests_served >= kMaxRequestsPerConnection || server_.stopping_.load();
    answered = server_.router_.process_request(stream, last, client_closes, nullptr);
    pending_body = nullptr;
    client_closes = client_closes || last;
  }
  connection.close_after = !answered || client_closes;
  connection.request_head = std::string();
  connection.request_body = std::string();
  {
    std::lock_guard lock(finished_mutex_);
    finished_.push_back(&connection);
  }
  const uint64_t one = 1;
  (void)::write(server_.wake_fd_, &one, sizeof one);
}

void ConnectionServer::Loop::take_finished(Clock::time_point now) {
  std::vector<Connection*> finished;
  {
    std::lock_guard lock(finished_mutex_);
    finished.swap(finished_);
  }
  for (Connection* connection : finished) {
    release_body(*connection);
    uncount_client(std::exchange(connection->forwarded_client, std::string()));
    if (connection->close_after || connection->peer_closed || server_.stopping_.load()) {
      close_connection(*connection);
      continue;
    }
    connection->phase = Connection::Phase::kIdle;
    connection->deadline = now + options_.idle_timeout;
    connection->continue_sent = false;
    watch(connection->fd);
    if (!connection->input.empty()) advance(*connection, now, true);  // a pipelined request
  }
}

void ConnectionServer::Loop::sweep(Clock::time_point now) {
  if (!accepting_ && now >= resume_accepting_) {
    accepting_ = true;
    watch(server_.listen_socket_);
  }
  std::vector<Connection*> expired;
  for (auto& [fd, connection] : connections_)
    if (connection->phase != Connection::Phase::kBusy && now >= connection->deadline)
      expired.push_back(connection.get());
  for (Connection* connection : expired) {
    switch (connection->phase) {
      case Connection::Phase::kHead:
        refuse(*connection, 408,
               invalid_argument("headers: not complete within " +
                                std::to_string(options_.header_timeout.count()) + " ms"),
               now);
        break;
      case Connection::Phase::kBody:
        refuse(*connection, 408,
               invalid_argument("body: no byte for " +
                                std::to_string(options_.read_timeout.count()) + " ms"),
               now);
        break;
      default:  // idle past the keep-alive time, or drained long enough
        close_connection(*connection);
    }
  }
}

void ConnectionServer::Loop::uncount_client(const std::string& client) {
  if (client.empty()) return;
  if (auto count = per_client_.find(client); count != per_client_.end() && --count->second <= 0)
    per_client_.erase(count);
}

void ConnectionServer::Loop::close_connection(Connection& connection) {
  const int fd = connection.fd;
  if (connection.phase != Connection::Phase::kBusy) unwatch(fd);
  release_body(connection);
  uncount_client(connection.is_from_proxy ? std::string() : connection.client_ip);
  uncount_client(connection.forwarded_client);
  close(fd);
  connections_.erase(fd);  // destroys `connection`
}

ConnectionServer::ConnectionServer(ConnectionOptions options, HttpRouter& router)
    : options_(std::move(options)), router_(router) {}

ConnectionServer::~ConnectionServer() {
  stop();
  if (listen_socket_ >= 0) close(listen_socket_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Result<int> ConnectionServer::bind() {
  const std::string where =
      "listen " + options_.listen_address + ":" + std::to_string(options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options_.port);
  const char* host = options_.listen_address.empty() ? nullptr : options_.listen_address.c_str();
  if (getaddrinfo(host, port.c_str(), &hints, &found) != 0 || !found)
    return io_error(where + ": not an address");
  int fd = -1;
  for (addrinfo* candidate = found; candidate && fd < 0; candidate = candidate->ai_next) {
    fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  candidate->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return io_error(where + ": cannot bind (in use, or not an address of this machine)");
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    close(fd);
    return io_error(std::string("eventfd: ") + std::strerror(errno));
  }
  listen_socket_ = fd;
  return socket_address_text(bound).second;
}

Status ConnectionServer::serve() {
  if (listen_socket_ < 0) return internal_error("server: serve() before a successful bind()");
  router_.set_serving(listen_socket_);
  if (stopping_.load()) router_.clear_serving();  // stop() came first
  loop_ = std::make_unique<Loop>(*this);
  Status status = loop_->run();
  loop_.reset();
  close(listen_socket_);
  listen_socket_ = -1;
  return status;
}

void ConnectionServer::stop() {
  stopping_.store(true);
  router_.clear_serving();
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
  }
}

}  // namespace upres::server
