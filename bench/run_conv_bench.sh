#!/bin/sh
# Runs the convolution benchmarks on 1 and 2 threads through upres (oneDNN) and PyTorch in one
# go and prints one table. Usage: bench/run_conv_bench.sh [build-dir]   (default: build)
# Needs the conv_throughput target built: cmake --build BUILD --target conv_throughput
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for threads in 1 2; do
  OMP_NUM_THREADS=$threads "$build/bench/conv_throughput" | tee -a "$rows" >&2
  peak=$(grep '^fma-peak,fp32' "$rows" | tail -1 | cut -d, -f6)
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/conv_torch.py" "$peak" | tee -a "$rows" >&2
done
/usr/bin/python3 "$here/conv_table.py" < "$rows"
