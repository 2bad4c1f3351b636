#!/usr/bin/env bash
# Extract the Spanish-English Bible (Reina-Valera 1909 / King James) from the
# Debian SWORD packages into a parallel corpus.
#
#   usage: data/bible/extract_bible.sh OUTDIR
#
# Writes OUTDIR/{train,dev,test}.{es,en}, OUTDIR/keys.{train,dev,test} and, when the
# World English Bible module is installed, OUTDIR/{dev,test}.en2 (a second reference)
# (one verse per line, UTF-8). The split rule and the cleaning are documented
# in data/bible/README.md and in bible_join.py. The output is built in a
# temporary directory beside OUTDIR and moved into place only when complete,
# so OUTDIR is either the old complete corpus or the new one, never half of one.
# Running it twice gives byte-identical files.
#
# Module names can be overridden with S2S_BIBLE_ES_MODULE / S2S_BIBLE_EN_MODULE.
# Needs: libsword-utils (mod2imp), sword-text-sparv, sword-text-kjv, /usr/bin/python3.
set -euo pipefail

die() { echo "extract_bible.sh: $*" >&2; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: extract_bible.sh OUTDIR"
out="${1%/}"
[[ -n "$out" ]] || die "refusing to use / as OUTDIR"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
es_module="${S2S_BIBLE_ES_MODULE:-spaRV1909eb}"
en_module="${S2S_BIBLE_EN_MODULE:-engKJV2006eb}"
# A second English translation, used only as a second reference for dev and test
# (the World English Bible, public domain; Debian's sword-text-web). Optional.
en2_module="${S2S_BIBLE_EN2_MODULE:-engWEB2015eb}"
python=/usr/bin/python3
[[ -x "$python" ]] || python="$(command -v python3 || true)"
[[ -n "$python" ]] || die "python3 not found"

command -v mod2imp >/dev/null 2>&1 ||
  die "mod2imp not found; install it with: apt-get install libsword-utils sword-text-kjv sword-text-sparv"

export LC_ALL=C.UTF-8

parent="$(dirname "$out")"
mkdir -p "$parent"
tmp="$(mktemp -d "$parent/.$(basename "$out").tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

for m in "$es_module" "$en_module"; do
  if ! mod2imp "$m" -s >"$tmp/$m.imp" 2>"$tmp/$m.err" || ! grep -q '^\$\$\$' "$tmp/$m.imp"; then
    die "cannot export SWORD module '$m' (installed: $(ls /usr/share/sword/mods.d/ 2>/dev/null | sed 's/\.conf$//' | tr '\n' ' ')); install sword-text-sparv and sword-text-kjv"
  fi
done

en2_args=()
if [[ -n "$en2_module" ]] && mod2imp "$en2_module" -s >"$tmp/$en2_module.imp" 2>"$tmp/$en2_module.err" &&
   grep -q '^\$\$\$' "$tmp/$en2_module.imp"; then
  en2_args=("$tmp/$en2_module.imp")
else
  echo "extract_bible.sh: SWORD module '$en2_module' not available (apt-get install sword-text-web); no second reference" >&2
fi

mkdir "$tmp/corpus"
"$python" "$here/bible_join.py" "$tmp/$es_module.imp" "$tmp/$en_module.imp" "$tmp/corpus" "${en2_args[@]}" |
  tee "$tmp/corpus/stats.txt"
{
  echo "source: SWORD modules $es_module (es) and $en_module (en), exported with 'mod2imp MODULE -s'"
  for m in "$es_module" "$en_module" ${en2_args[@]:+"$en2_module"}; do
    conf="/usr/share/sword/mods.d/$(echo "$m" | tr 'A-Z' 'a-z').conf"
    [[ -f "$conf" ]] || conf="/usr/share/sword/mods.d/$m.conf"
    [[ -f "$conf" ]] && grep -E '^(Version|SwordVersionDate|DistributionLicense)=' "$conf" | sed "s/^/$m /" || true
  done
} >"$tmp/corpus/SOURCE.txt"

# Swap the finished corpus into place.
if [[ -e "$out" ]]; then
  mv "$out" "$tmp/old"
fi
mv "$tmp/corpus" "$out"
