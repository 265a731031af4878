#!/usr/bin/env bash
# Sets up, builds and runs every test: a -Werror build with every test, then the whole suite
# under ASan+UBSan, then the threaded engine's tests under TSan.
#   tools/test.sh            everything (what CI runs)
#   tools/test.sh --quick    the plain build only
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=$(nproc)
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

build() {  # build DIR TYPE SANITIZER [TARGET...]
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE="$2" -DMOIRA_SANITIZE="$3" -DMOIRA_WERROR=ON >/dev/null
  ninja -C "$1" -j"$jobs" "${@:4}"
}

section() { printf '\n==== %s ====\n' "$*"; }
start=$SECONDS

section "build (Debug, -Werror)"
build build/debug Debug ""
section "tests (Debug)"
(cd build/debug && ctest --output-on-failure -j"$jobs")

if ((quick == 0)); then
  section "build (ASan+UBSan)"
  build build/asan Debug address
  section "tests (ASan+UBSan)"
  (cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$jobs")

  section "build (TSan)"
  build build/tsan RelWithDebInfo thread moira_tests  # the binary of every `threads`-labelled test
  section "tests of the threaded engine (TSan)"
  (cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j"$jobs" -L threads)
fi
section "all tests passed in $((SECONDS - start)) s"
