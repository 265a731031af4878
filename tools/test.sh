#!/usr/bin/env bash
# Sets up, builds and runs every test: a -Werror build under ASan+UBSan with every test, then the
# threaded engine's tests under TSan (an -O2 build), then the simulator's trace hashes of the two
# builds compared (-O0 against -O2: same seed, same hash).
#   tools/test.sh            everything (what CI runs)
#   tools/test.sh --quick    a plain Debug build and every test, no sanitizers (the local loop)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=$(nproc)
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

build() {  # build DIR TYPE SANITIZER [TARGET...]
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE="$2" -DMOIRA_SANITIZE="$3" -DMOIRA_WERROR=ON "${cmake_extra[@]}" >/dev/null
  ninja -C "$1" -j"$jobs" "${@:4}"
}
# The benchmarks are built by bench/run (Release), not by the sanitizer builds: their compile time
# is CI time, and under a sanitizer they measure nothing.
cmake_extra=(-DMOIRA_BUILD_BENCH=OFF)

section() { printf '\n==== %s (%d s so far) ====\n' "$1" $((SECONDS - start)); }
start=$SECONDS

if ((quick == 1)); then
  cmake_extra=()
  section "build (Debug, -Werror)"
  build build/debug Debug ""
  section "tests (Debug)"
  (cd build/debug && ctest --output-on-failure -j"$jobs")
  section "all tests passed"
  exit 0
fi

section "build (ASan+UBSan, Debug, -Werror)"
build build/asan Debug address
section "tests (ASan+UBSan)"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")

section "build (TSan, RelWithDebInfo)"
build build/tsan RelWithDebInfo thread moira_thread_tests moira_sim_hashes
section "tests of the threaded engine (TSan)"
(cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j"$jobs" -L threads)

section "simulator trace hashes: -O0 (ASan build) against -O2 (TSan build)"
build/asan/tests/moira_sim_hashes >build/asan/sim_hashes.txt
TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/moira_sim_hashes >build/tsan/sim_hashes.txt
diff build/asan/sim_hashes.txt build/tsan/sim_hashes.txt
echo "$(wc -l <build/asan/sim_hashes.txt) lines: identical"

section "all tests passed"
