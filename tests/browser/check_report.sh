#!/usr/bin/env bash
# Renders the report fixture with the built `s2s report` and loads it in headless
# Chromium: the page must parse into the expected number of <svg> plots and table
# rows, show no NaN/undefined/null text, and produce a non-empty screenshot.
#
# usage: check_report.sh S2S_BINARY RESULTS_JSON EXPECTED_SVGS EXPECTED_TABLE_ROWS
# Exits 0 on success, 1 on failure, 77 (skip) when Chromium is not installed.
# Set S2S_BROWSER_ARTIFACTS=DIR to keep the report, DOM and screenshot in DIR.
set -u

if [ $# -ne 4 ]; then
  echo "usage: $0 S2S_BINARY RESULTS_JSON EXPECTED_SVGS EXPECTED_TABLE_ROWS" >&2
  exit 2
fi
s2s_bin=$1
results=$2
expected_svgs=$3
expected_rows=$4

browser=""
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$candidate
    break
  fi
done
if [ -z "$browser" ]; then
  echo "SKIP: chromium is not installed (apt-get install -y chromium)"
  exit 77
fi

work=$(mktemp -d)
profile=$(mktemp -d)
cleanup() { rm -rf "$work" "$profile"; }
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [ -s "$work/browser.log" ]; then
    echo "--- browser log (last 20 lines) ---" >&2
    grep -v -e "dbus" "$work/browser.log" | tail -n 20 >&2
  fi
  exit 1
}

"$s2s_bin" report --results "$results" --out "$work/out" >"$work/report.log" 2>&1 ||
  fail "s2s report exited non-zero: $(cat "$work/report.log")"
page="$work/out/report.html"
[ -s "$page" ] || fail "s2s report wrote no $page"

run_browser() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@" "file://$page" 2>>"$work/browser.log"
}

run_browser --dump-dom >"$work/dom.html" || fail "chromium --dump-dom failed"
run_browser --screenshot="$work/screenshot.png" --window-size=1400,3000 >>"$work/browser.log" ||
  fail "chromium --screenshot failed"

if [ -n "${S2S_BROWSER_ARTIFACTS:-}" ]; then
  mkdir -p "$S2S_BROWSER_ARTIFACTS"
  cp "$page" "$work/dom.html" "$work/out/report.md" "$S2S_BROWSER_ARTIFACTS/"
  [ -f "$work/screenshot.png" ] && cp "$work/screenshot.png" "$S2S_BROWSER_ARTIFACTS/"
fi

grep -q '</html>' "$work/dom.html" || fail "the DOM dump is incomplete (no </html>)"

svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
[ "$svgs" -eq "$expected_svgs" ] || fail "expected $expected_svgs <svg> plots in the rendered page, found $svgs"

rows=$(grep -o '<tr[ >]' "$work/dom.html" | wc -l)
[ "$rows" -eq "$expected_rows" ] || fail "expected $expected_rows table rows in the rendered page, found $rows"

if grep -o -w -E 'NaN|undefined|null' "$work/dom.html" | head -n 3 | grep -q .; then
  fail "the page shows placeholder text: $(grep -o -w -E '.{0,40}(NaN|undefined|null).{0,40}' "$work/dom.html" | head -n 3)"
fi

shot="$work/screenshot.png"
[ -s "$shot" ] || fail "the screenshot is missing or empty"
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "the screenshot is not a PNG"
size=$(wc -c <"$shot")
[ "$size" -gt 20000 ] || fail "the screenshot is only $size bytes: the page probably rendered blank"

echo "PASS: $svgs plots, $rows table rows, screenshot $size bytes"
