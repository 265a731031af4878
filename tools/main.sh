#!/usr/bin/env bash
# Sets up, builds (Release) and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build/release -j"$(nproc)"
./build/release/examples/moira_example_ping_crash
./build/release/examples/moira_example_supervised_pool
