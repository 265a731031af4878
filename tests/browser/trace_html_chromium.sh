#!/usr/bin/env bash
# Opens the HTML sequence chart in a real headless Chromium. lost-update seed 9: the page's script
# must draw lanes, message arrows and the failure (checked in the DOM it leaves behind), and the
# screenshot must show them (checked in its pixels). A 10,000-event chart must load and draw only
# the rows in view. Skips, saying so, when no Chromium is installed (tools/setup_chromium.sh).
#   trace_html_chromium.sh MOIRA OUT_DIR
set -uo pipefail
moira=$1
out=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "SKIPPED: no chromium on this machine (bash tools/setup_chromium.sh installs it)"
  exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
fail() { echo "FAILED: $*"; exit 1; }
run_browser() { "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-dev-shm-usage --user-data-dir="$out/profile" "$@" 2>/dev/null; }

"$moira" trace lost-update --seed 9 --html "$out/lost_update_9.html" >/dev/null
[[ -s $out/lost_update_9.html ]] || fail "moira trace wrote no HTML"
run_browser --window-size=1200,900 --dump-dom "file://$out/lost_update_9.html" >"$out/lost_update_9.dom.html"
count() { grep -o "$1" "$2" | wc -l; }
msgs=$(count '<line class="msg"' "$out/lost_update_9.dom.html")
lanes=$(count '<line class="lane"' "$out/lost_update_9.dom.html")
echo "lost-update seed 9 in Chromium: $lanes lane lines, $msgs message arrows drawn"
((lanes >= 4)) || fail "expected 4 lanes drawn, got $lanes"
((msgs >= 10)) || fail "expected message arrows, got $msgs"
grep -q 'class="failrow"' "$out/lost_update_9.dom.html" || fail "the failure is not highlighted"
grep -q 'lost update: SetBalance{8}' "$out/lost_update_9.dom.html" || fail "the failure's mark is not drawn"

run_browser --window-size=1200,900 --screenshot="$out/lost_update_9.png" "file://$out/lost_update_9.html" >/dev/null
[[ -s $out/lost_update_9.png ]] || fail "no screenshot"
echo "screenshot: $out/lost_update_9.png"
if command -v python3 >/dev/null; then
  # Arrow blue, lane grey, the failure row's pink.
  python3 "$here/png_colors.py" "$out/lost_update_9.png" 2b63c6:300 9aa3b2:800 fde3e1:3000 || fail "the screenshot lacks lanes, arrows or the failure"
else
  echo "(no python3: pixels not checked)"
fi

# 10,000 events (the last ones of a long liveness run): it loads, and draws only what is in view.
"$moira" trace retry-storm --seed 1 --max-steps 100000 --last 10000 --html "$out/retry_storm_10k.html" >/dev/null
start=$(date +%s%N)
run_browser --window-size=1200,900 --dump-dom "file://$out/retry_storm_10k.html" >"$out/retry_storm_10k.dom.html"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '10000 events kept' "$out/retry_storm_10k.dom.html" || fail "the 10,000-event chart did not load"
texts=$(count '<text' "$out/retry_storm_10k.dom.html")
echo "10,000 events: loaded and drawn in Chromium in $ms ms (browser start included), $texts labels in the DOM"
((texts > 20 && texts < 1500)) || fail "expected only the rows in view drawn, found $texts labels"
echo "passed"
