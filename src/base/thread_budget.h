// How many threads upres's own parallel loops (PNG deflate, resampling, weight conversion) may
// start unasked: the same rule OpenMP follows for the cpu backend, so a Slurm task, a container
// with a cpuset or a pod that sets OMP_NUM_THREADS from its CPU limit is not oversubscribed by
// the work around the network. Thread-safe.
#pragma once

namespace upres {

// The CPUs this process may run on (its affinity mask: taskset, cpusets, Slurm's binding); the
// online CPU count where the mask cannot be read. At least 1.
int available_cpus();

// OMP_NUM_THREADS (its first entry) when set to a positive number, else available_cpus().
int usable_threads();

}  // namespace upres
