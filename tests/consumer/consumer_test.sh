#!/usr/bin/env bash
# The consumer project (examples/consumer) built as a user builds it, twice: against the installed
# package (this build tree installed into a temporary prefix, then find_package) and through
# add_subdirectory of the source tree. Each binary sweeps, shrinks and replays its own scenario.
#   consumer_test.sh SOURCE_DIR BUILD_DIR WORK_DIR [SANITIZER_FLAGS]
# SANITIZER_FLAGS: the sanitizer build's flags, which the installed libraries need at link time.
set -euo pipefail
src=$1 build=$2 work=$3 san=${4:-}
rm -rf "$work"
mkdir -p "$work"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
installed_flags=()  # the installed libraries are this build's: a consumer links them with its flags
[[ -n $san ]] && installed_flags=("-DCMAKE_CXX_FLAGS=$san" "-DCMAKE_EXE_LINKER_FLAGS=$san")

fail() { echo "consumer: $*"; exit 1; }

# The consumer's own scenario through the command line: a sweep finds its bug (exit 1), shrink
# reduces the first failing seed, replay reproduces the shrunk run exactly (exit 1: still failing).
check() {
  local bin=$1 out=$work/out.txt
  "$bin" list >"$out"
  grep -q '^counter ' "$out" || fail "$bin list does not show the counter scenario"
  set +e
  "$bin" sweep counter --seeds 200 --jobs 2 --junit "$work/sweep.xml" >"$out" 2>&1
  local code=$?
  set -e
  cat "$out"
  [[ $code == 1 ]] || fail "sweep exited $code, expected 1 (the counter's bug is found)"
  local seed
  seed=$(grep -m1 -o 'reproduce: counter_cli run counter --seed [0-9]*' "$out" | awk '{print $6}')
  [[ -n $seed ]] || fail "the sweep printed no reproduce line naming counter_cli"
  set +e
  "$bin" shrink counter --seed "$seed" --out "$work/shrunk.log" >"$out" 2>&1
  code=$?
  set -e
  cat "$out"
  [[ $code == 1 && -s $work/shrunk.log ]] || fail "shrink exited $code or saved no log"
  set +e
  "$bin" replay counter "$work/shrunk.log" >"$out" 2>&1
  code=$?
  set -e
  cat "$out"
  [[ $code == 1 ]] && grep -q 'reproduced' "$out" || fail "replay of the shrunk log exited $code, expected 1 (reproduced)"
}

cmake --install "$build" --prefix "$work/prefix" >/dev/null
if command -v pkg-config >/dev/null; then
  flags=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs moira)
  [[ $flags == *"-I$work/prefix/lib/pkgconfig/../../include/moira"* ]] || fail "moira.pc does not follow the install prefix: $flags"
fi
cmake -S "$src/examples/consumer" -B "$work/installed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" \
  "${installed_flags[@]}" >/dev/null
cmake --build "$work/installed" >/dev/null
echo "== against the installed package"
check "$work/installed/counter_cli"

# Through add_subdirectory moira is compiled from source with the consumer's own (plain) flags.
cmake -S "$src/examples/consumer" -B "$work/subdir" -G Ninja -DMOIRA_SOURCE_DIR="$src" "${launcher[@]}" >/dev/null
cmake --build "$work/subdir" >/dev/null
echo "== through add_subdirectory"
check "$work/subdir/counter_cli"
echo "consumer: built both ways; its own scenario sweeps, shrinks and replays"
