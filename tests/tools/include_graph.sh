#!/usr/bin/env bash
# The include graph of lib/: which folder includes which, counted over every
# #include "folder/..." line, and whether it points one way. Each folder may
# include only folders below it in LAYERS (same rank: not each other).
#   tests/tools/include_graph.sh [LIB_DIR]   prints the edges; exit 1 on an upward or sideways edge
set -euo pipefail
LIB=${1:-$(dirname "$0")/../../lib}
# Bottom to top; folders on one line (a|b) share a rank.
LAYERS=(util "metrics|text" data models distributed search run translate train "bench|export|report" compare)

rank_of() {
  local i
  for i in "${!LAYERS[@]}"; do
    if [[ "|${LAYERS[$i]}|" == *"|$1|"* ]]; then echo "$i"; return; fi
  done
  echo -1
}

status=0
edges=$(cd "$LIB" && grep -rhoE '^#include "[a-z_]+/' --include='*.h' --include='*.cpp' . -H 2>/dev/null |
        sed -E 's#^\./([a-z_]+)/[^:]*:\#include "([a-z_]+)/#\1 \2#' | awk '$1 != $2' | sort | uniq -c | sort -k2,2 -k3,3)
while read -r count from to; do
  [ -n "${from:-}" ] || continue
  rf=$(rank_of "$from"); rt=$(rank_of "$to")
  verdict=ok
  if [ "$rf" -lt 0 ] || [ "$rt" -lt 0 ]; then verdict="UNLISTED"; status=1
  elif [ "$rt" -ge "$rf" ]; then verdict="UPWARD"; status=1; fi
  printf '%-12s -> %-12s %4d  %s\n' "$from" "$to" "$count" "$verdict"
done <<< "$edges"
if [ "$status" -eq 0 ]; then echo "include graph: one direction (${LAYERS[*]})"; else echo "include graph: edges against the layering above" >&2; fi
exit "$status"
