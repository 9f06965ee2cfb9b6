#!/bin/sh
# Builds the fuzz targets and runs each for a while, starting from the
# seed corpus and the regression inputs:
#   tests/fuzz/run.sh [SECONDS] [OUTDIR] [TARGET...]
# SECONDS per target (default 25). New interesting inputs go to
# OUTDIR/corpus-<target> (not into the tree); a crash leaves
# OUTDIR/crash-<target>-* and fails the run: copy it into
# tests/fuzz/regressions/<target>/, fix the bug, and the normal test
# suite replays it from then on (tests/meson.build, fuzz-replay-*).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-25}
out=${2:-"$root/build-fuzz"}
shift 2 2>/dev/null || shift $#
targets=${*:-"spec glob ctl scenario"}

rc=0
"$root/tests/fuzz/build.sh" "$out" >/dev/null || rc=$?
if [ "$rc" = 77 ]; then
	echo "fuzz: SKIP (no clang/libFuzzer)"
	exit 0
fi
[ "$rc" = 0 ] || exit "$rc"

fail=0
for t in $targets; do
	mkdir -p "$out/corpus-$t"
	max_len=4096
	extra=""
	case $t in
	scenario) max_len=16384 ;;
	ctl)
		# the shim's debug log goes to stderr: libFuzzer keeps its own
		extra="-close_fd_mask=2"
		export FUZZ_SHIM_DEBUG=1
		;;
	esac
	log="$out/fuzz-$t.log"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$out/fuzz-$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=$max_len -print_final_stats=1 \
		-artifact_prefix="$out/crash-$t-" $extra \
		"$out/corpus-$t" "$root/tests/fuzz/corpus/$t" \
		"$root/tests/fuzz/regressions/$t" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "fuzz: $t: ${execs:-?} execs in ${secs}s, $cov, no crash"
	else
		echo "fuzz: $t: CRASH, see $log:"
		grep -E 'ERROR|SUMMARY|fuzz-|Test unit written' "$log" | head -20
		fail=1
	fi
	unset FUZZ_SHIM_DEBUG
done
exit $fail
