#!/bin/bash
# The shim's cost per write() to /dev/null, and the memory it adds.
#
#   tests/bench/shim-overhead.sh BENCH_WRITE FAULTRUN [RUNS] [N]
#
# (meson test --benchmark, or by hand with the built bench-write and
# faultrun.) Modes: plain; under the shim with a rule loaded but not armed;
# with a rule armed for another path; with a matching rule of probability 0
# (decided every call, never injected); with a disk rule armed for another
# tree; libfiu's `fiu-run -x` (its POSIX preload, nothing enabled) for
# comparison; every write injected (EIO, the cost of an injected call).
# Then the same one-byte writes appending to a regular file:
# plain, and under a 1 GiB disk rule over it (each write charged).
# ns: median of RUNS runs of N calls each (modes interleaved, so drift
# hits all alike). instructions: valgrind --tool=callgrind, the difference
# between runs of 2*M and M calls divided by M, so start-up cancels out.
# RSS: VmRSS at the end of a run (shim mapped, fd table touched).
set -u
BW=${1:?usage: shim-overhead.sh BENCH_WRITE FAULTRUN [RUNS] [N]}
FR=${2:?usage: shim-overhead.sh BENCH_WRITE FAULTRUN [RUNS] [N]}
RUNS=${3:-9}
N=${4:-2000000}
M=100000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

modes=(plain paused elsewhere prob0 diskelse)
command -v fiu-run >/dev/null && modes+=(fiu)
modes+=(inject file disk)
mkdir "$tmp/disk"

# prefix MODE: the command words that run a program in that mode
prefix() {
	case $1 in
	plain) ;;
	paused) echo "$FR exec -q --paused --may-not-fire -f write@errno=EIO@path=/nonexistent/** --" ;;
	elsewhere) echo "$FR exec -q --may-not-fire -f write@errno=EIO@path=/nonexistent/** --" ;;
	prob0) echo "$FR exec -q --may-not-fire -f write@errno=EIO@probability=0@path=/dev/null --" ;;
	diskelse) echo "$FR exec -q --may-not-fire -f disk@size=1GiB@path=/nonexistent/** --" ;;
	fiu) echo "fiu-run -x" ;;
	inject) echo "$FR exec -q -f write@errno=EIO@path=/dev/null --" ;;
	file) ;;
	disk) echo "$FR exec -q --may-not-fire -f disk@size=1GiB@path=$tmp/disk/** --" ;;
	esac
}

# what bench-write writes to in that mode: /dev/null, or an emptied file
target() {
	case $1 in
	file | disk) : >"$tmp/disk/f" && echo "$tmp/disk/f" ;;
	*) echo /dev/null ;;
	esac
}

# what bench-write expects of each write: "fail" where every one is injected
expect() {
	[ "$1" = inject ] && echo fail
}

# run MODE CMD...: the prefix's words ('@' stands for a space inside a SPEC)
run() {
	local mode=$1 w words=()
	shift
	for w in $(prefix "$mode"); do
		words+=("${w//@/ }")
	done
	"${words[@]}" "$@"
}

for ((i = 0; i < RUNS; i++)); do
	for m in "${modes[@]}"; do
		run "$m" "$BW" "$N" "$(target "$m")" $(expect "$m") >>"$tmp/$m.runs" ||
			{ echo "bench: $m failed" >&2; exit 1; }
	done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$tmp/$2.runs"; }
instr() {
	local m=$1 a b
	command -v valgrind >/dev/null || { echo "-"; return; }
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.1" "$BW" "$M" \
		"$(target "$m")" $(expect "$m") >/dev/null 2>&1
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.2" "$BW" $((2 * M)) \
		"$(target "$m")" $(expect "$m") >/dev/null 2>&1
	a=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$m.1")
	b=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$m.2")
	echo $(((b - a) / M))
}

printf '%-10s %10s %10s %10s %10s %8s\n' mode ns/call +ns instr/call +instr rss_KiB
for m in "${modes[@]}"; do
	ns=$(field ns_per_call "$m" | median)
	ir=$(instr "$m")
	rss=$(field rss_kib "$m" | median)
	# the file modes are compared with plain writes to the file
	if [ "$m" = plain ] || [ "$m" = file ]; then
		base_ns=$ns base_ir=$ir base_rss=$rss
	fi
	printf '%-10s %10s %10s %10s %10s %8s (+%s)\n' "$m" "$ns" \
		"$(awk -v a="$ns" -v b="$base_ns" 'BEGIN { printf "%+.1f", a - b }')" \
		"$ir" "$([ "$ir" = - ] && echo - || echo $((ir - base_ir)))" \
		"$rss" $((rss - base_rss))
done
echo "# $RUNS runs of $N write(fd, 1 byte) per mode (to /dev/null; file, disk: appending to a file, compared with file); instructions from callgrind ($M vs $((2 * M)) calls)"
