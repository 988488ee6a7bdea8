#!/usr/bin/env bash
# Throughput of a sharded batch on one machine: 4 shards run as 2 processes at a time with 1
# thread each (how a job array packs 1-CPU tasks onto a 2-core node) versus one process with
# 2 threads, over the same 40 pictures. Prints pictures per second of each and their ratio.
# Usage: bench/shards_vs_threads.sh [UPRES_BINARY] [SIZE_PX] [UPSCALER]
#   defaults: build/src/cli/upres, 64, models/RealESRGAN/realesrgan-x4fast.param (4x)
set -euo pipefail
cd "$(dirname "$0")/.."
upres=$(realpath "${1:-build/src/cli/upres}")
size=${2:-64}
upscaler=${3:-models/RealESRGAN/realesrgan-x4fast.param}
work=$(mktemp -d /tmp/upres_shards_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$work/in" "$size" <<'PY'
import os, struct, sys, zlib
os.makedirs(sys.argv[1]); n = int(sys.argv[2])
def chunk(kind, data): return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
for i in range(40):
    rows = b"".join(b"\0" + bytes(((x * x + y * 3) // (i + 1) + x * 5 + c * 60) % 256 for x in range(n) for c in range(3)) for y in range(n))
    open(f"{sys.argv[1]}/p{i:02d}.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
run() {  # OUTPUT THREADS [--shard I/4]
  local out=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads "$upres" upscale "$work/in" --scale 4 --upscaler "$upscaler" -o "$work/$out" "$@" \
    >/dev/null 2>"$work/$out.log" || { cat "$work/$out.log"; exit 1; }
}
seconds() { python3 -c "import time; print(time.monotonic())"; }
# Twice each, alternating (threads, shards, threads, shards); the best time of each counts, so a
# burst of other load on the machine hurts neither side alone.
best_threads=1e9 best_shards=1e9
for round in 1 2; do
  rm -rf "$work/threads" "$work/shards"
  t0=$(seconds)
  run threads 2
  t1=$(seconds)
  run shards 1 --shard 0/4 & run shards 1 --shard 1/4 & wait
  run shards 1 --shard 2/4 & run shards 1 --shard 3/4 & wait
  t2=$(seconds)
  best_threads=$(python3 -c "print(min($best_threads, $t1 - $t0))")
  best_shards=$(python3 -c "print(min($best_shards, $t2 - $t1))")
done
[[ $(ls "$work/threads" | wc -l) -eq 40 && $(ls "$work/shards" | wc -l) -eq 40 ]] || { echo "missing results"; exit 1; }
python3 - "$best_threads" "$best_shards" "$size" "$upscaler" <<'PY'
import sys
threads_s, shards_s = map(float, sys.argv[1:3])
threads, shards = 40 / threads_s, 40 / shards_s
print(f"40 pictures {sys.argv[3]}x{sys.argv[3]} px, 4x with {sys.argv[4]} (best of 2 runs each)")
print(f"1 process x 2 threads:            {threads_s:6.2f} s  {threads:6.2f} pictures/s")
print(f"4 shards, 2 at a time x 1 thread: {shards_s:6.2f} s  {shards:6.2f} pictures/s")
print(f"throughput ratio shards/threads: {shards / threads:.2f}")
PY
