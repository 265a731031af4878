#!/usr/bin/env bash
# Sets up, builds (Release) and runs the main job: a sweep of every scenario on the deterministic
# simulator (plus the seeded-bug scenario, which must be found and must replay exactly), then the
# example programs on the threaded engine.
#   tools/main.sh [--seeds N]     (default 2000 seeds per scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=2000
[[ "${1:-}" == "--seeds" && -n "${2:-}" ]] && seeds=$2
bash tools/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build/release -j"$(nproc)"
mkdir -p build/reports
moira=build/release/tools/moira
"$moira" list
"$moira" sweep --all --seeds "$seeds" --jobs "$(nproc)" --junit build/reports/sweep.xml
"$moira" sweep lost-update --seeds "$seeds" --expect-failures
# Recovery: the faults stop at 3 s and the pinger must hear a pong within 1 s after.
"$moira" sweep ping-monitor --seeds "$seeds" --jobs "$(nproc)" --heal-at 3000 --converge-within 1000
./build/release/examples/moira_example_ping_crash
./build/release/examples/moira_example_supervised_pool
echo "main job done; JUnit report: build/reports/sweep.xml"
