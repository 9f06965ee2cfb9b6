#!/bin/sh
# Builds the libFuzzer targets with clang (the main build uses gcc):
#   tests/fuzz/build.sh [OUTDIR]        default OUTDIR: build-fuzz
# Each target is fuzz-<name> in OUTDIR, built with
# -fsanitize=fuzzer,address,undefined from the project's own sources (the
# same files the shim and faultrun are built from, with the shim's flags).
# Needs clang and libclang-rt-14-dev (libFuzzer's runtime).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-"$root/build-fuzz"}
CC=${CC_FUZZ:-clang}
mkdir -p "$out"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
fi

flags="-g -O1 -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra
-Wno-unused-parameter -fsanitize=fuzzer,address,undefined
-fno-sanitize-recover=undefined -fno-sanitize=function
-I$root/include -I$root/harness/fault"
# the shim's own flags (harness/shim/meson.build)
shimflags="-U_FILE_OFFSET_BITS -U_TIME_BITS -U_FORTIFY_SOURCE -fno-builtin
-I$root/harness/shim -I$root/harness/cli -I$root/harness/core"

# every source of harness/fault (the rule model, its parser, the block)
common="$(echo "$root"/harness/fault/*.c)"
# the scenario loader and the building blocks it may use (the seccomp
# backend tells which rules a `backend: seccomp` unit can have)
scenario="$(echo "$root"/harness/core/scenario/*.c "$root"/harness/core/util/*.c \
	"$root"/harness/seccomp/*.c)"
# every shim source but the wrappers (they would interpose the fuzzer itself)
# (and exec's journal writer, with the building blocks it uses)
shim="$root/harness/cli/ctlread.c $(echo "$root"/harness/core/util/*.c)"
for f in "$root"/harness/shim/*.c; do
	case ${f##*/} in
	wrap_*) ;;
	*) shim="$shim $f" ;;
	esac
done

if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	"$CC" -fsanitize=fuzzer -x c - -o "$out/.probe" 2>/dev/null; then
	echo "fuzz: $CC cannot link libFuzzer (apt-get install libclang-rt-14-dev)" >&2
	exit 77
fi
rm -f "$out/.probe"

build() {
	name=$1
	shift
	# shellcheck disable=SC2086
	"$CC" $flags "$@" -o "$out/fuzz-$name" -lm -lpthread -ldl
}

# shellcheck disable=SC2086
build spec "$root/tests/fuzz/fuzz-spec.c" $common
# shellcheck disable=SC2086
build glob "$root/tests/fuzz/fuzz-glob.c" $common
# shellcheck disable=SC2086
build ctl $shimflags "$root/tests/fuzz/fuzz-ctl.c" $shim $common
# shellcheck disable=SC2086
build scenario -I"$root/harness/core" -I"$root/harness/seccomp" "$root/tests/fuzz/fuzz-scenario.c" \
	$scenario $common $(pkg-config --cflags --libs yaml-0.1)
echo "fuzz: targets in $out"
