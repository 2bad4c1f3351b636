#!/usr/bin/env bash
# The two entry points of the README, for a fresh Debian 12 machine as root:
#   bash bootstrap.sh demo   install packages, build, run the head-to-head demo
#   bash bootstrap.sh test   install packages, build, run the test suite
# Both are idempotent: packages already present are not reinstalled, the build
# is incremental, and a prepared corpus is reused.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
BUILD=${S2S_BUILD_DIR:-$ROOT/build}
JOBS=${S2S_JOBS:-$(nproc)}

PACKAGES=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-pthread      # LibTorch 1.13 (CPU) and the fast BLAS it needs
  libsentencepiece-dev sentencepiece     # subword tokenisation
  nlohmann-json3-dev libcli11-dev catch2 zlib1g-dev libgloo-dev libicu-dev
  sword-text-kjv sword-text-sparv sword-text-web libsword-utils   # the Spanish–English Bible (+ WEB, a second reference)
)
EXTRA_TEST_PACKAGES=(chromium python3-torch python3-sentencepiece)

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then echo "bootstrap: run as root to install packages" >&2; exit 1; fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# build [TARGET...]: configure and build (everything when no target is named).
build() {
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  local start=$SECONDS
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$BUILD" -j "$JOBS" "${targets[@]}"
  echo "bootstrap: build finished in $((SECONDS - start)) s" >&2
}

case "${1:-}" in
  demo)
    install_packages "${PACKAGES[@]}"
    build s2s
    OUT=${2:-runs/demo}
    exec "$BUILD/s2s" compare --config "$ROOT/models/compare-demo.json" --out "$OUT"
    ;;
  test)
    install_packages "${PACKAGES[@]}" "${EXTRA_TEST_PACKAGES[@]}"
    build
    cd "$BUILD"
    exec ctest --output-on-failure -j "$JOBS"
    ;;
  *)
    echo "usage: bash bootstrap.sh demo [OUT_DIR] | test" >&2
    exit 2
    ;;
esac
