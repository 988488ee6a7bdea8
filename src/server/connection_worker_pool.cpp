// ConnectionWorkerPool: a task queue whose threads are started when every existing one is busy.
#include "server/connection_worker_pool.h"

namespace upres::server {

ConnectionWorkerPool::ConnectionWorkerPool(size_t max_threads)
    : max_threads_(max_threads == 0 ? 1 : max_threads) {}

ConnectionWorkerPool::~ConnectionWorkerPool() { shutdown(); }

void ConnectionWorkerPool::submit(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  tasks_.push_back(std::move(task));
  // Threads are never retired: the peak is bounded by max_threads, and an idle thread costs
  // only its untouched stack.
  if (tasks_.size() > idle_ && threads_.size() < max_threads_)
    threads_.emplace_back([this] { work(); });
  wake_.notify_one();
}

void ConnectionWorkerPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    wake_.wait(lock, [this] { return !tasks_.empty() || shutting_down_; });
    --idle_;
    if (tasks_.empty()) return;  // shutting down with nothing left to run
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

void ConnectionWorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& thread : threads) thread.join();
}

size_t ConnectionWorkerPool::thread_count() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

}  // namespace upres::server
