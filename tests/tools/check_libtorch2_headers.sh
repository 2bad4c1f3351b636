#!/usr/bin/env bash
# Compiles every translation unit of lib/ and app/ (syntax only: no LibTorch
# 2.x libraries are needed) against LibTorch 2.x's headers, to show the code
# builds against 2.x as well as against Debian 12's 1.13. The headers come
# from Debian 13's libtorch-dev (2.6) and libgloo-dev .debs, fetched from the
# Debian archive into CACHE_DIR (nothing is installed).
#
#   bash tests/tools/check_libtorch2_headers.sh [CACHE_DIR]   (default /tmp/s2s-libtorch2)
#
# Prints one line per unit that warns or fails and exits 1 if any does.
# Slow on two cores (every unit parses LibTorch: ~15 minutes); not part of CTest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${1:-/tmp/s2s-libtorch2}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
JOBS=${S2S_JOBS:-$(nproc)}

mkdir -p "$CACHE"
if [ ! -f "$CACHE/prefix/usr/include/torch/csrc/api/include/torch/version.h" ]; then
  if [ ! -f "$CACHE/Packages" ]; then
    curl -fsS -o "$CACHE/Packages.xz" "$MIRROR/dists/$SUITE/main/binary-amd64/Packages.xz" ||
      { echo "check_libtorch2_headers: cannot fetch the $SUITE package index from $MIRROR" >&2; exit 1; }
    xz -dc "$CACHE/Packages.xz" > "$CACHE/Packages"
  fi
  mkdir -p "$CACHE/prefix"
  for package in libtorch-dev libgloo-dev; do
    file=$(awk -v p="Package: $package" '$0 == p {found=1} found && /^Filename:/ {print $2; exit}' "$CACHE/Packages")
    [ -n "$file" ] || { echo "check_libtorch2_headers: $package is not in $SUITE" >&2; exit 1; }
    curl -fsS -o "$CACHE/$(basename "$file")" "$MIRROR/$file"
    dpkg-deb -x "$CACHE/$(basename "$file")" "$CACHE/prefix"
  done
fi
INCLUDE=$CACHE/prefix/usr/include
VERSION=$(awk '/define TORCH_VERSION_M/ {printf "%s%s", sep, $3; sep="."}' "$INCLUDE/torch/csrc/api/include/torch/version.h")
echo "check_libtorch2_headers: LibTorch $VERSION headers from $SUITE's libtorch-dev" >&2

# The build's own flags: C++17, LibTorch's ABI define, the project's defines,
# and the precompiled header as a forced include (as CMake's PCH does).
FLAGS=(-std=c++17 -fsyntax-only -D_GLIBCXX_USE_CXX11_ABI=1
       -isystem "$INCLUDE" -isystem "$INCLUDE/torch/csrc/api/include"
       -I "$ROOT/lib" -I "$ROOT/app"
       -DS2S_VERSION='"check"' -DS2S_SOURCE_DIR='"check"' -DS2S_BUILD_SPM_BRIDGE='"check"'
       -include "$ROOT/lib/torch_pch.h")
export CHECK_FLAGS="${FLAGS[*]@Q}"
LOG=$(mktemp -d)
find "$ROOT/lib" "$ROOT/app" -name '*.cpp' ! -path '*/spm_bridge/*' | sort |
  xargs -P "$JOBS" -I{} bash -c 'eval "flags=($CHECK_FLAGS)"; name=$(echo "$1" | tr / _);
    if ! g++ "${flags[@]}" "$1" > "$2/$name.log" 2>&1 || [ -s "$2/$name.log" ]; then echo "$1" >> "$2/failed"; fi' _ {} "$LOG"
units=$(find "$ROOT/lib" "$ROOT/app" -name '*.cpp' ! -path '*/spm_bridge/*' | wc -l)
if [ -s "$LOG/failed" ]; then
  while read -r unit; do
    echo "== $unit"
    head -20 "$LOG/$(echo "$unit" | tr / _).log"
  done < "$LOG/failed"
  echo "check_libtorch2_headers: $(wc -l < "$LOG/failed") of $units units warn or fail against LibTorch $VERSION" >&2
  exit 1
fi
echo "check_libtorch2_headers: all $units units compile without a warning against LibTorch $VERSION" >&2
