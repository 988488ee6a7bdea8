// ConnectionWorkerPool: the threads that run complete HTTP requests (routing, handlers, writing
// the response). It grows on demand up to max_threads, because a handler may block for a long
// time (waiting on a model job, streaming progress events) and must not starve quick requests;
// connections that are idle or still sending hold no thread (ConnectionServer owns those).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace upres::server {

class ConnectionWorkerPool {
 public:
  // Requires: max_threads >= 1.
  explicit ConnectionWorkerPool(size_t max_threads);
  ~ConnectionWorkerPool();
  ConnectionWorkerPool(const ConnectionWorkerPool&) = delete;
  ConnectionWorkerPool& operator=(const ConnectionWorkerPool&) = delete;

  // Runs `task` on an idle thread, a new one while fewer than max_threads exist, or the first
  // that frees up. Tasks submitted after shutdown() are dropped.
  void submit(std::function<void()> task);
  // Runs what is queued, then joins every thread. Idempotent.
  void shutdown();
  size_t thread_count() const;

 private:
  void work();

  const size_t max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool shutting_down_ = false;
};

}  // namespace upres::server
