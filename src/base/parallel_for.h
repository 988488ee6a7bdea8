// parallel_for: runs body(i) for every i in [0, count) on a few std::threads, each index exactly
// once, in no set order. Results stay deterministic when body(i) writes only what index i owns.
#pragma once

#include <functional>

namespace upres {

// threads <= 0: usable_threads() (thread_budget.h). Returns after every body has returned.
void parallel_for(int count, int threads, const std::function<void(int index)>& body);

}  // namespace upres
