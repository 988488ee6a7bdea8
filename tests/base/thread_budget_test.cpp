// The thread budget: OMP_NUM_THREADS wins when set to a positive number, else the CPUs of the
// affinity mask, which a process confined to one CPU (as taskset or a Slurm binding does) sees
// as 1, and parallel_for's default then starts no thread.
#include "base/thread_budget.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "base/parallel_for.h"

namespace upres {
namespace {

// Sets OMP_NUM_THREADS (or unsets it for nullptr) for one scope.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(const char* value) {
    if (const char* old = std::getenv("OMP_NUM_THREADS")) {
      saved_ = old;
      had_ = true;
    }
    if (value) ::setenv("OMP_NUM_THREADS", value, 1);
    else ::unsetenv("OMP_NUM_THREADS");
  }
  ~ScopedOmpThreads() {
    if (had_) ::setenv("OMP_NUM_THREADS", saved_.c_str(), 1);
    else ::unsetenv("OMP_NUM_THREADS");
  }

 private:
  std::string saved_;
  bool had_ = false;
};

TEST(ThreadBudgetTest, OmpNumThreadsWinsWhenPositive) {
  {
    ScopedOmpThreads omp("3");
    EXPECT_EQ(usable_threads(), 3);
  }
  {
    ScopedOmpThreads omp("5,2");  // nested levels: the outer one
    EXPECT_EQ(usable_threads(), 5);
  }
  for (const char* ignored : {"0", "-2", "many", ""}) {
    ScopedOmpThreads omp(ignored);
    EXPECT_EQ(usable_threads(), available_cpus()) << "OMP_NUM_THREADS=" << ignored;
  }
  ScopedOmpThreads omp(nullptr);
  EXPECT_EQ(usable_threads(), available_cpus());
  EXPECT_GE(available_cpus(), 1);
}

// In a child process confined to one CPU: the budget is 1 and parallel_for's default runs every
// index on the calling thread.
TEST(ThreadBudgetTest, OneCpuAffinityMeansOneThread) {
  EXPECT_EXIT(
      {
        cpu_set_t mask;
        CPU_ZERO(&mask);
        if (sched_getaffinity(0, sizeof mask, &mask) != 0) std::exit(2);
        int first = 0;
        while (!CPU_ISSET(first, &mask)) ++first;
        CPU_ZERO(&mask);
        CPU_SET(first, &mask);
        if (sched_setaffinity(0, sizeof mask, &mask) != 0) std::exit(2);
        ::unsetenv("OMP_NUM_THREADS");
        std::mutex lock;
        std::set<std::thread::id> ran_on;
        parallel_for(64, 0, [&](int) {
          std::lock_guard<std::mutex> hold(lock);
          ran_on.insert(std::this_thread::get_id());
        });
        const bool one = available_cpus() == 1 && usable_threads() == 1 && ran_on.size() == 1 &&
                         *ran_on.begin() == std::this_thread::get_id();
        std::exit(one ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace upres
