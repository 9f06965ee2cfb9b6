#!/bin/bash
# What matching rule paths costs an open()+close() (docs/performance.md,
# "Matching paths").
#
#   tests/bench/bench-open.sh BENCH_OPEN FAULTRUN [RUNS] [N]
#
# (meson test --benchmark bench-open, or by hand.) The file opened is
# TMP/a/b/c/d/e/f/g/h/i/j/k/l/m/file. Modes: plain; one read rule armed for
# another tree; 64 of them (each its own tree); one rule with the pattern
# '**/**/**/**/**/x' (which a backtracker took up to a millisecond per open
# to reject); rel: one rule elsewhere, the file opened as "file" from its
# directory (the cwd). ns: median of RUNS runs of N pairs. instructions per pair:
# callgrind, the difference between runs of 2*M and M pairs divided by the
# pairs it adds, so start-up cancels out; "glob": callgrind's inclusive
# count of the matcher's entry points (fr_slot_glob_match, and
# fr_glob_match for builds before it) per pair, which is the part of the
# cost that is path matching (the rest is the shim's own path work:
# readlink, getcwd, the fd table).
set -u
BO=${1:?usage: bench-open.sh BENCH_OPEN FAULTRUN [RUNS] [N]}
FR=${2:?usage: bench-open.sh BENCH_OPEN FAULTRUN [RUNS] [N]}
RUNS=${3:-5}
N=${4:-200000}
M=20000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir="$tmp/a/b/c/d/e/f/g/h/i/j/k/l/m"
mkdir -p "$dir" && : >"$dir/file"

modes=(plain one many hostile rel)
many=()
for ((k = 0; k < 64; k++)); do
	many+=(-f "read errno=EIO path=/nonexistent/d$k/**")
done

run() {
	local mode=$1
	shift
	case $mode in
	plain) "$@" ;;
	one) "$FR" exec -q --may-not-fire -f 'read errno=EIO path=/nonexistent/**' -- "$@" ;;
	many) "$FR" exec -q --may-not-fire "${many[@]}" -- "$@" ;;
	hostile) "$FR" exec -q --may-not-fire -f 'read errno=EIO path=**/**/**/**/**/x' -- "$@" ;;
	# one rule elsewhere, the file opened by a relative name from its directory
	rel) (cd "$dir" && "$FR" exec -q --may-not-fire -f 'read errno=EIO path=/nonexistent/**' -- \
		"${@:1:$#-1}" file) ;;
	esac
}

for ((i = 0; i < RUNS; i++)); do
	for m in "${modes[@]}"; do
		run "$m" "$BO" "$N" "$dir/file" >>"$tmp/$m.runs" ||
			{ echo "bench: $m failed" >&2; exit 1; }
	done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$tmp/$2.runs"; }
# instr MODE: "instructions_per_pair glob_instructions_per_pair"
instr() {
	local m=$1 a b g
	command -v valgrind >/dev/null || { echo "- -"; return; }
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.1" "$BO" "$M" \
		"$dir/file" >/dev/null 2>&1
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m.2" "$BO" $((2 * M)) \
		"$dir/file" >/dev/null 2>&1
	a=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$m.1")
	b=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$m.2")
	# bench-open runs N + N/10 pairs
	g=$(callgrind_annotate --inclusive=yes "$tmp/cg.$m.2" 2>/dev/null |
		awk '/:(fr_slot_glob_match|fr_glob_match) \[/ { gsub(",", "", $1); s += $1 }
		     END { print s + 0 }')
	echo $(((b - a) / (M + M / 10))) $((g / (2 * M + 2 * M / 10)))
}

printf '%-8s %10s %10s %11s %10s %10s\n' mode ns/pair +ns instr/pair +instr glob
for m in "${modes[@]}"; do
	ns=$(field ns_per_call "$m" | median)
	read -r ir glob < <(instr "$m")
	[ "$m" = plain ] && base_ns=$ns base_ir=$ir
	printf '%-8s %10s %10s %11s %10s %10s\n' "$m" "$ns" \
		"$(awk -v a="$ns" -v b="$base_ns" 'BEGIN { printf "%+.1f", a - b }')" \
		"$ir" "$([ "$ir" = - ] && echo - || echo $((ir - base_ir)))" "$glob"
done
echo "# $RUNS runs of $N open+close per mode; instructions from callgrind ($M vs $((2 * M)) pairs); glob: the matcher's inclusive share per pair"
