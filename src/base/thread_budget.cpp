// Thread budget: the affinity mask through sched_getaffinity, OMP_NUM_THREADS as OpenMP reads it.
#include "base/thread_budget.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace upres {

int available_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) return std::max(1, CPU_COUNT(&mask));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int usable_threads() {
  // "4" or a nesting list such as "4,2": the outer level is the first number.
  const char* omp = std::getenv("OMP_NUM_THREADS");
  const int requested = omp != nullptr ? std::atoi(omp) : 0;
  return requested > 0 ? requested : available_cpus();
}

}  // namespace upres
