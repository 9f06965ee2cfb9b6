#!/bin/bash
# A call that meets only rules armed for something else makes no system
# call of the shim's own: no readlink of /proc/self/fd per open or at a
# file's first write, no fstat, no getsockopt per poll, no getpid. Counted with strace -c, the
# difference between runs of N and 2N calls, under the shim and plain:
# start-up cancels, and every system call the shim adds per call shows.
#
#   test-shim-quiet.sh FAULTRUN BENCH_CALL BENCH_SOCK
set -u
FR=$1 BC=$2 BS=$3
command -v strace >/dev/null || { echo "SKIP: no strace"; exit 77; }
# LeakSanitizer cannot run under ptrace: an ASan build's programs would die
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/d/e" && : >"$tmp/d/e/file"
fails=0

# counts OUT CMD...: per-syscall counts of CMD (and its threads) into OUT
counts() {
	local out=$1
	shift
	"$@" >/dev/null 2>"$out.err" || {
		echo "FAIL: $* exited $?: $(head -3 "$out.err")"
		return 1
	}
	# strace -c: "% time seconds usecs/call calls errors syscall"; the
	# shim makes the program's own open as openat2 (nolinks.c): one call
	awk '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ {
		n[$NF == "openat2" ? "openat" : $NF] += $4
	} END { for (k in n) print k, n[k] }' "$out.raw" | sort >"$out"
}

# traced N RULES... -- CMD...: run CMD (the word N replaced) under strace,
# under the shim with RULES when there are any
traced() {
	local n=$1 out=$2
	shift 2
	local rules=() cmd=() w
	while [ $# -gt 0 ] && [ "$1" != -- ]; do rules+=(-f "$1"); shift; done
	shift
	for w in "$@"; do [ "$w" = N ] && w=$n; cmd+=("$w"); done
	if [ ${#rules[@]} = 0 ]; then
		counts "$out" strace -f -qq -c -o "$out.raw" "${cmd[@]}"
	else
		counts "$out" "$FR" exec -q --may-not-fire "${rules[@]}" -- \
			strace -f -qq -c -o "$out.raw" "${cmd[@]}"
	fi
}

# per_call FILE_N FILE_2N: "syscall extra" for each count that grew
growth() {
	join -a1 -a2 -e 0 -o 0,1.2,2.2 "$1" "$2" | awk '{ print $1, $3 - $2 }'
}

# row NAME N RULE -- CMD...: the shim adds no system call per call
row() {
	local name=$1 n=$2
	shift 2
	local f=$tmp/$(echo "$name" | tr -c 'a-z0-9' _)
	traced "$n" "$f.p1" -- "${@:3}" && traced $((2 * n)) "$f.p2" -- "${@:3}" &&
		traced "$n" "$f.s1" "$@" && traced $((2 * n)) "$f.s2" "$@" || {
		fails=$((fails + 1))
		return
	}
	growth "$f.p1" "$f.p2" >"$f.pg"
	growth "$f.s1" "$f.s2" >"$f.sg"
	# a system call the shim makes per call grows with N beyond plain's growth
	local extra
	extra=$(join -a2 -e 0 -o 0,1.2,2.2 "$f.pg" "$f.sg" |
		awk -v n="$n" '$3 - $2 > n / 10 { printf "%s +%d per %d calls; ", $1, $3 - $2, n }')
	if [ -n "$extra" ]; then
		echo "FAIL: $name: the shim's own system calls: $extra"
		fails=$((fails + 1))
	else
		echo "ok: $name"
	fi
}

file=$tmp/d/e/file
row "write, a write rule for another tree" 2000 'write errno=EIO path=/nonexistent/**' -- "$BC" write N
row "read, a read rule for another tree" 2000 'read errno=EIO path=/nonexistent/**' -- "$BC" read N
row "open+close of an absolute path, open,read,write rules for another tree" 2000 \
	'open,read,write errno=EIO path=/nonexistent/**' -- "$BC" open N "$file"
row "open+close, a write rule for another tree" 2000 \
	'write errno=ENOSPC path=/nonexistent/**' -- "$BC" open N "$file"
# the file's first call after an open no rule concerns: its path is known
# at the open, not read from /proc/self/fd then (nolinks.c)
row "open+write+close, a write rule for another tree" 2000 \
	'write errno=ENOSPC path=/nonexistent/**' -- "$BC" openw N "$file"
row "open+write+close, open,read,write rules for another tree" 2000 \
	'open,read,write errno=EIO path=/nonexistent/**' -- "$BC" openw N "$file"
row "send/recv, a socket rule for another port" 1000 'send,recv stall port=1' -- "$BS" io N
row "poll, a socket rule for another port" 2000 'send,recv stall port=1' -- "$BS" poll N
row "epoll_wait, a socket rule for another port" 2000 'send,recv stall port=1' -- "$BS" epoll N

[ $fails = 0 ] || exit 1
