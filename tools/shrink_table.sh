#!/usr/bin/env bash
# Shrinks failing seeds of a seeded-bug scenario with `moira shrink`, checks that every shrunk
# log replays exactly with `moira replay`, and prints a table: non-calm decisions and steps, before
# and after. Failing seeds come from `moira sweep` (its JUnit report lists every one).
#   tools/shrink_table.sh [MOIRA] [SEEDS] [SCENARIO]
#     MOIRA     the moira CLI (default build/release/tools/moira, else build/debug/tools/moira)
#     SEEDS     how many failing seeds in all, lost-update seed 9 first (default 21)
#     SCENARIO  where the others come from (default lost-update; retry-storm's failures are
#               3M-step liveness runs, minutes each to shrink)
set -euo pipefail
cd "$(dirname "$0")/.."
moira=${1:-}
if [[ -z $moira ]]; then
  for m in build/release/tools/moira build/debug/tools/moira; do [[ -x $m ]] && { moira=$m; break; }; done
fi
[[ -n $moira && -x $moira ]] || { echo "shrink_table: no moira CLI; build one (ninja -C build/release moira) or pass its path" >&2; exit 64; }
want=${2:-21}
scenario=${3:-lost-update}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# (scenario seed) pairs: lost-update 9, then the scenario's failing seeds, in order.
pairs=("lost-update 9")
"$moira" sweep "$scenario" --seeds $((want * 20)) --expect-failures --junit "$dir/sweep.xml" >/dev/null 2>&1 || true
mapfile -t -O 1 pairs < <(grep -o 'name="seed [0-9]*"><failure' "$dir/sweep.xml" | grep -o '[0-9]*' |
  grep -vx 9 | head -n $((want - 1)) | sed "s/^/$scenario /")

printf '%-12s %6s | %15s %14s | %9s %9s | %s\n' scenario seed "non-calm before" "non-calm after" "steps bef" "steps aft" replay
fails=0
for p in "${pairs[@]}"; do
  read -r s seed <<<"$p"
  log=$dir/$s-$seed.log
  out=$("$moira" shrink "$s" --seed "$seed" --out "$log" 2>&1) || true
  before=$(grep -m1 '^  before:' <<<"$out" || true)
  after=$(grep -m1 '^  after:' <<<"$out" || true)
  if [[ -z $after ]]; then
    printf '%-12s %6s | shrink failed: %s\n' "$s" "$seed" "$(head -n1 <<<"$out")"
    fails=$((fails + 1))
    continue
  fi
  nc() { sed -E 's/.* ([0-9]+) not calm.*/\1/' <<<"$1"; }
  st() { sed -E 's/.* ([0-9]+) steps.*/\1/' <<<"$1"; }
  status=0
  "$moira" replay "$s" "$log" >"$dir/replay.txt" 2>&1 || status=$?
  # A shrunk log still fails its invariant (exit 1) and must reproduce its run (not exit 3).
  if ((status == 1)) && grep -q 'FAILED' "$dir/replay.txt"; then verdict="exact, still fails"; else
    verdict="NOT EXACT (exit $status)"
    fails=$((fails + 1))
  fi
  printf '%-12s %6s | %15s %14s | %9s %9s | %s\n' "$s" "$seed" "$(nc "$before")" "$(nc "$after")" "$(st "$before")" "$(st "$after")" "$verdict"
done
echo "uptime:$(uptime)"
((fails == 0)) || { echo "shrink_table: $fails seed(s) did not shrink or replay exactly" >&2; exit 1; }
