#!/usr/bin/env bash
# Installs what upres needs, builds it, and upscales the sample picture 4x.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
upscaler=${UPRES_DEMO_UPSCALER:-Lanczos}
./build/src/cli/upres upscale samples/sample.png --scale 4 --upscaler "$upscaler" -o outputs/extras-images
