#!/bin/bash
# The socket faults' costs (docs/performance.md "Socket faults").
#
#   tests/bench/bench-sock.sh BENCH_SOCK FAULTRUN SHIM [RUNS] [N]
#
# (meson test --benchmark, or by hand with the built bench-sock, faultrun
# and libfaultshim.so.)
# 1. send/recv of 1 byte on a loopback TCP pair: plain; under the shim with
#    a socket rule loaded but not armed (nothing armed); with send and recv
#    stall rules armed for another port (every call takes the slow path:
#    fd table lookup, no match). ns: median of RUNS interleaved runs of N
#    rounds; instructions per call: valgrind --tool=callgrind, the
#    difference between runs of 2*M and M rounds divided by 2*M calls.
# 2. release: from the disarm (the control block written as `faultrun ctl`
#    does) to the return of the stalled recv(), poll() and epoll_wait().
# 3. cpu: CPU used by a process stalled 5 s in recv() and poll().
set -u
BS=${1:?usage: bench-sock.sh BENCH_SOCK FAULTRUN SHIM [RUNS] [N]}
FR=${2:?usage: bench-sock.sh BENCH_SOCK FAULTRUN SHIM [RUNS] [N]}
SHIM=${3:?usage: bench-sock.sh BENCH_SOCK FAULTRUN SHIM [RUNS] [N]}
RUNS=${4:-7}
N=${5:-200000}
M=20000
export FAULTRUN_SHIM=$SHIM
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

modes=(plain nothing elsewhere)
prefix() {
	case $1 in
	plain) ;;
	nothing) echo "$FR exec -q --paused --may-not-fire -f send,recv@stall@port=1 --" ;;
	elsewhere) echo "$FR exec -q --may-not-fire -f send,recv@stall@port=1 --" ;;
	esac
}
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
		run "$m" "$BS" io "$N" >>"$tmp/$m.runs" || { echo "bench: $m failed" >&2; exit 1; }
	done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$tmp/$2.runs"; }
instr() {
	local m=$1 a b
	command -v valgrind >/dev/null || { echo "-"; return; }
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.1" "$BS" io "$M" >/dev/null 2>&1
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.2" "$BS" io $((2 * M)) >/dev/null 2>&1
	a=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$m.1")
	b=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$m.2")
	echo $(((b - a) / (2 * M)))
}

printf '%-10s %10s %10s %12s %10s\n' mode ns/call +ns instr/call +instr
base_ns=$(field ns_per_call plain | median)
base_ir=$(instr plain)
for m in "${modes[@]}"; do
	ns=$(field ns_per_call "$m" | median)
	ir=$(instr "$m")
	printf '%-10s %10s %10s %12s %10s\n' "$m" "$ns" \
		"$(awk -v a="$ns" -v b="$base_ns" 'BEGIN { printf "%+.1f", a - b }')" \
		"$ir" "$([ "$ir" = - ] && echo - || echo $((ir - base_ir)))"
done
echo "# $RUNS runs of $N send+recv rounds (1 byte, loopback TCP) per mode; instructions from callgrind ($M vs $((2 * M)) rounds)"
echo
"$BS" release "$SHIM" 50 || exit 1
echo "# from fr_ctl_set_armed(false) in another process to the stalled call's return, 50 rounds each"
echo
"$BS" cpu "$SHIM" 5 || exit 1
echo "# a process whose two threads wait 5 s on a stalled socket (recv and poll)"
