#!/usr/bin/env bash
# Builds s2s on a machine without apt (a GPU image, a cluster node): the
# dependencies other than LibTorch come from Debian 12's .deb files unpacked
# into a prefix, and LibTorch from wherever it is (a PyTorch install, the
# official archive, Debian's).
#
#   on a Debian 12 machine with apt (no root needed):
#     bash third_party/debian_prefix.sh download DEBS_DIR
#   then anywhere (dpkg-deb, or ar and tar, to unpack):
#     bash third_party/debian_prefix.sh unpack DEBS_DIR PREFIX
#     bash third_party/debian_prefix.sh configure PREFIX BUILD_DIR [TORCH_CMAKE_PREFIX] [-DOPTION=...]
#     cmake --build BUILD_DIR -j
#
# TORCH_CMAKE_PREFIX: the folder holding Torch/TorchConfig.cmake's parents, e.g.
#   python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'
# (without it, CMake's usual search applies: Debian's libtorch-dev, Torch_DIR, CMAKE_PREFIX_PATH).
#
# The prefix carries nlohmann-json, CLI11, Catch2, SentencePiece (its runtime
# too: s2s loads it at run time through its bridge library), ICU, zlib and
# Gloo's headers (LibTorch's c10d headers include them; a LibTorch that ships
# its own copy is searched first). The built binaries find the prefix's shared
# libraries through their RPATH; nothing is installed outside PREFIX.
set -euo pipefail

PACKAGES=(
  nlohmann-json3-dev libcli11-dev catch2
  libsentencepiece-dev libsentencepiece0
  libicu-dev libicu72
  zlib1g-dev zlib1g
  libgloo-dev
)

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "debian_prefix: $*" >&2
  exit 1
}

download() {
  local debs=$1
  command -v apt-get >/dev/null || die "download needs apt-get (run it on a Debian 12 machine, then copy $debs)"
  mkdir -p "$debs"
  (cd "$debs" && apt-get download "${PACKAGES[@]}")
  echo "debian_prefix: ${#PACKAGES[@]} packages in $debs" >&2
}

# Unpacks one .deb into a folder: dpkg-deb where there is one, else ar + tar.
extract_deb() {
  local deb=$1 into=$2
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$into"
    return
  fi
  command -v ar >/dev/null || die "cannot unpack $deb: neither dpkg-deb nor ar (binutils) is installed"
  local scratch
  scratch=$(mktemp -d)
  (cd "$scratch" && ar x "$(realpath "$deb")")
  local data
  data=$(ls "$scratch"/data.tar.* 2>/dev/null | head -1)
  [ -n "$data" ] || die "$deb holds no data.tar.*: not a Debian package"
  tar -xf "$data" -C "$into"
  rm -rf "$scratch"
}

unpack() {
  local debs=$1 prefix=$2
  [ -d "$debs" ] || die "no folder $debs (make it with: $0 download $debs)"
  local missing=()
  for p in "${PACKAGES[@]}"; do
    compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || die "$debs lacks ${missing[*]} (run: $0 download $debs)"
  mkdir -p "$prefix"
  prefix=$(realpath "$prefix")
  # Unpacked into a temporary folder and moved into place: a failed unpack leaves no half prefix.
  local staging="$prefix.partial"
  rm -rf "$staging"
  mkdir -p "$staging"
  for p in "${PACKAGES[@]}"; do
    for deb in "$debs/${p}"_*.deb; do extract_deb "$deb" "$staging"; done
  done
  # Absolute symlinks (libz.so -> /lib/.../libz.so.1.2.13) would point out of
  # the prefix: make them point at the unpacked file.
  while IFS= read -r link; do
    local target
    target=$(readlink "$link")
    case "$target" in
      /*)
        local inside="$staging$target"
        [ -e "$inside" ] || inside="$staging/usr$target"
        [ -e "$inside" ] && ln -sfn "$(realpath --relative-to="$(dirname "$link")" "$inside")" "$link"
        ;;
    esac
  done < <(find "$staging" -type l)
  # pkg-config files name /usr; they must name the prefix.
  while IFS= read -r pc; do
    sed -i "s|^prefix=/usr\$|prefix=$prefix/usr|" "$pc"
  done < <(find "$staging" -name '*.pc')
  rm -rf "$prefix"
  mv "$staging" "$prefix"
  echo "debian_prefix: unpacked ${#PACKAGES[@]} packages into $prefix" >&2
}

configure() {
  local prefix=$1 build=$2
  shift 2
  local torch_prefix=""
  if [ $# -gt 0 ] && [[ "$1" != -D* ]]; then
    torch_prefix=$1
    shift
  fi
  [ -d "$prefix/usr/include/nlohmann" ] || die "$prefix is not an unpacked prefix (run: $0 unpack DEBS_DIR $prefix)"
  if [ -n "$torch_prefix" ] && [ ! -f "$torch_prefix/Torch/TorchConfig.cmake" ]; then
    die "$torch_prefix/Torch/TorchConfig.cmake does not exist: pass the folder torch.utils.cmake_prefix_path prints"
  fi
  prefix=$(realpath "$prefix")
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  local multiarch=x86_64-linux-gnu
  PKG_CONFIG_PATH="$prefix/usr/lib/$multiarch/pkgconfig:$prefix/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_PREFIX_PATH=${torch_prefix:+$torch_prefix;}$prefix/usr" \
      "-DICU_ROOT=$prefix/usr" \
      "$@"
  echo "debian_prefix: configured $build; build it with: cmake --build $build -j" >&2
}

case "${1:-}" in
  download) [ $# -eq 2 ] || usage; download "$2" ;;
  unpack) [ $# -eq 3 ] || usage; unpack "$2" "$3" ;;
  configure) [ $# -ge 3 ] || usage; shift; configure "$@" ;;
  *) usage ;;
esac
