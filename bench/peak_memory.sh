#!/bin/sh
# Peak memory (max RSS from /usr/bin/time -v) of `upres upscale --scale 4` on a SIZE x SIZE noise image,
# once per --max-memory budget ("default" = the CLI's default), beside the one image-sized buffer no
# tile size avoids: the float output image the passes write into (the input and 8-bit copies are smaller).
# Each budget runs once: at 2048 with R-ESRGAN 4x+ that is minutes per run on two cores.
# Usage: bench/peak_memory.sh BUILD_DIR [SIZE_PX=2048] [MODEL=models/RealESRGAN/realesrgan-x4plus.param]
#                             [BUDGETS="default 1G"]     extra upscale flags via UPRES_FLAGS
set -eu
build=${1:?usage: bench/peak_memory.sh BUILD_DIR [SIZE_PX] [MODEL] [BUDGETS]}
size=${2:-2048}
model=${3:-$(dirname "$0")/../models/RealESRGAN/realesrgan-x4plus.param}
budgets=${4:-default 1G}
threads=${OMP_NUM_THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 -c "
from PIL import Image
Image.effect_noise(($size, $size), 64).convert('RGB').save('$work/in.png')"
out_px=$((size * 4))
echo "input ${size}x${size}, output ${out_px}x${out_px}, model $model, $threads thread(s)"
output_mib=$((out_px * out_px * 3 * 4 / 1048576))
echo "float output image: $output_mib MiB; 8-bit RGB output: $((output_mib / 4)) MiB"
echo "| --max-memory | wall | max RSS MiB | RSS beyond the float output, MiB |"
echo "|---|---|---|---|"
for budget in $budgets; do
  flag=""
  [ "$budget" = default ] || flag="--max-memory $budget"
  rm -rf "$work/out"
  # shellcheck disable=SC2086  # flag and UPRES_FLAGS are word lists
  OMP_NUM_THREADS=$threads /usr/bin/time -v "$build/src/cli/upres" upscale "$work/in.png" --scale 4 \
    --upscaler "$model" --backend cpu $flag ${UPRES_FLAGS:-} -o "$work/out" >"$work/log" 2>&1 || {
    tail -5 "$work/log"; exit 1; }
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/log")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/log")
  echo "| $budget | $wall | $((rss_kb / 1024)) | $((rss_kb / 1024 - output_mib)) |"
done
