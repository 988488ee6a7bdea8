#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang in a cached sub-build (WORK/build-fuzz) and runs
# each for UPRES_FUZZ_RUNS inputs (default 40000) from a fixed seed on a seed corpus made here, so
# the suite is repeatable; longer exploratory runs: UPRES_FUZZ_RUNS=-1 UPRES_FUZZ_SECONDS=600.
# Exit 77 = skipped (no clang).
# Usage: run_fuzzers.sh SOURCE_DIR WORK_DIR [FIXTURE_DIR]
set -euo pipefail
src=$1
work=$2
fixtures=${3:-}
runs=${UPRES_FUZZ_RUNS:-40000}
seconds=${UPRES_FUZZ_SECONDS:-60}  # a safety cap; the run count ends a normal run first
cxx=$(command -v clang++-14 || command -v clang++ || true)
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cxx" ] || [ -z "$cc" ]; then
  echo "SKIP: clang++ not found, fuzzers not run"
  exit 77
fi
build=$work/build-fuzz
targets="pickle zip pth safetensors ncnn onnx"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPRES_BUILD_FUZZERS=ON -DUPRES_BUILD_TESTS=OFF \
    -DUPRES_BUILD_BENCH=OFF > "$work/fuzz-configure.log"
fi
cmake --build "$build" -j2 --target $(for t in $targets; do printf '%s_fuzzer ' "$t"; done) > "$work/fuzz-build.log" ||
  { tail -30 "$work/fuzz-build.log"; exit 1; }

# Seeds: the PyTorch-written fixtures when present, plus small hand-made files.
seeds=$work/fuzz-seeds
rm -rf "$seeds" "$work/fuzz-corpus"
mkdir -p "$seeds"/{pickle,zip,pth,safetensors,ncnn,onnx}
if [ -n "$fixtures" ] && [ -d "$fixtures" ]; then
  for f in "$fixtures"/*.pth "$fixtures"/*.pt "$fixtures"/*.ckpt; do
    cp "$f" "$seeds/pth/"
    case "$f" in *legacy*) ;; *) cp "$f" "$seeds/zip/" ;; esac
  done
  cp "$fixtures"/*.safetensors "$seeds/safetensors/"
  python3 - "$fixtures" "$seeds/pickle" <<'PY'
import glob, os, sys, zipfile
for path in glob.glob(os.path.join(sys.argv[1], "*.pt*")) + glob.glob(os.path.join(sys.argv[1], "*.ckpt")):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith("data.pkl"):
                    open(os.path.join(sys.argv[2], os.path.basename(path) + ".pkl"), "wb").write(z.read(name))
PY
fi
printf '\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00N\x88eu.' > "$seeds/pickle/plain"
{
  printf '7767517\n4 4\nInput in 0 1 data 0=8\nConvolution conv 1 1 data c 0=2 1=1 5=1 6=4 9=2 -23310=1,0.1\n'
  printf 'PReLU p 1 1 c d 0=2\nInnerProduct fc 1 1 d out 0=1 1=0 2=2\n'
  printf '\0\x47\x6b\x30\x01\x00\x3c\x00\x40\x00\x3c\x00\x40\x00\x00\x80\x3f\x00\x00\x00\x40'
  printf '\x00\x00\x80\x3e\x00\x00\x80\x3e\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40'
} > "$seeds/ncnn/conv"

# A small .onnx seed (Conv with a 1x1 initializer, then Relu), as protobuf bytes.
{
  printf '\x08\x08\x12\x00\x3a\x73\x0a\x13\x0a\x05\x69\x6e\x70\x75\x74\x0a\x01\x77\x12\x01\x79\x22\x04\x43'
  printf '\x6f\x6e\x76\x0a\x11\x0a\x01\x79\x12\x06\x6f\x75\x74\x70\x75\x74\x22\x04\x52\x65\x6c\x75\x12\x01'
  printf '\x67\x2a\x13\x08\x01\x08\x01\x08\x01\x08\x01\x10\x01\x42\x01\x77\x4a\x04\x00\x00\x80\x3f\x5a\x21'
  printf '\x0a\x05\x69\x6e\x70\x75\x74\x12\x18\x0a\x16\x08\x01\x12\x12\x0a\x02\x08\x01\x0a\x02\x08\x01\x0a'
  printf '\x03\x12\x01\x68\x0a\x03\x12\x01\x77\x62\x0e\x0a\x06\x6f\x75\x74\x70\x75\x74\x12\x04\x0a\x02\x08'
  printf '\x01\x42\x04\x0a\x00\x10\x11'
} > "$seeds/onnx/conv"

status=0
for t in $targets; do
  corpus=$work/fuzz-corpus/$t
  mkdir -p "$corpus"
  echo "== ${t}_fuzzer: $runs runs"
  if ! "$build/fuzz/${t}_fuzzer" -seed=1 -runs="$runs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/fuzz-$t-" "$corpus" "$seeds/$t" > "$work/fuzz-$t.log" 2>&1; then
    echo "FAILED: ${t}_fuzzer found a crash; see $work/fuzz-$t.log"
    grep -A20 "ERROR: " "$work/fuzz-$t.log" | head -40 || true
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/fuzz-$t.log" || true
done
exit $status
