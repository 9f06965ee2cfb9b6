#!/bin/bash
# The seccomp backend's actions beyond errno= (docs/seccomp.md, "Actions"),
# against the static SEC_WRITER and dd: short writes and reads made on the
# target's fd (its offset moves as its own), budget= cut at exactly SIZE
# and then ENOSPC as under the preload, delay= holding one thread while
# another's calls are answered, and stall on recv: released by ctl disarm
# with nothing lost, ended by the program's SO_RCVTIMEO (EAGAIN), EAGAIN at
# once for MSG_DONTWAIT.
# Needs FAULTRUN, FAULTRUN_SHIM, SEC_WRITER (empty: no static libc, skip).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
[ -n "${SEC_WRITER:-}" ] || { note "no static libc: skip"; exit 77; }
W=$SEC_WRITER
mkdir -p "$D/s" "$D/b" "$D/d" "$D/preload" "$D/seccomp"
freeport() { python3 "$(dirname "$0")/../e2e/free-port.py"; }
sec() { # sec SPEC -- ARGS: the static program under one seccomp rule
	local spec=$1
	shift 2
	timeout 30 "$FAULTRUN" exec --backend seccomp -f "$spec" -- "$W" "$@" >"$D/out" 2>"$D/err"
	rc=$?
}
# the fill pattern (sec-writer.c): 3000 bytes of a..z
python3 -c 'import sys; sys.stdout.write("".join(chr(97 + i % 26) for i in range(3000)))' >"$D/pattern"

# --- short: the program loops on short writes and the file has all of it, in order
sec "name=s write short path=$D/s/**" -- fill "$D/s/f" readhalf "$D/s/f"
check "short write: all 3000 bytes written, in short calls" out_has "fill $D/s/f: ok 3000 short="
check "short write: the file is the pattern (the offset moved as the target's)" \
	cmp "$D/pattern" "$D/s/f"
check "short write: reads are not cut" out_has "readhalf $D/s/f: ok 100 100 off=200"
check "short write: every injection counted" \
	sh -c "n=\$(sed -n 's/.*short=\([0-9]*\)$/\1/p' '$D/out'); grep -q \"rule 's' armed: matched \$n, injected \$n\" '$D/err'"
sec "name=r read short path=$D/s/**" -- readhalf "$D/s/f"
check "short read: half of each read, the fd's offset after both" \
	out_has "readhalf $D/s/f: ok 50 50 off=100 second=y"
check "short read: counted" err_has "rule 'r' armed: matched 2, injected 2"

# --- short with dd (dynamic): dd writes the rest of each short write
head -c 5000 /dev/urandom >"$D/src"
timeout 30 "$FAULTRUN" exec --backend seccomp -f "write short path=$D/s/**" -- \
	dd if="$D/src" of="$D/s/dd" bs=1000 >"$D/out" 2>"$D/err"; rc=$?
check "dd, short: succeeded" succeeded
check "dd, short: the file is the source" cmp "$D/src" "$D/s/dd"

# --- budget=1000: exactly 1000 bytes, the crossing write short, then ENOSPC
sec "name=b write budget=1000 path=$D/b/**" -- fill "$D/b/f"
check "budget: 1000 bytes, then ENOSPC" out_has "fill $D/b/f: ENOSPC 1000 short=1"
check "budget: the file has exactly 1000 bytes" size_is "$D/b/f" 1000
check "budget: the crossing write and the failed one injected" \
	err_has "rule 'b' armed: matched 5, injected 2, bytes 1000, left 0"
# dd under both backends: the same file, status and message. bs is a
# multiple of the page: dd asks aligned_alloc(page, bs) for its buffer, which
# ASan's interceptor refuses (C11: size a multiple of the alignment) and
# aborts dd under the ASan build's preload
for be in preload seccomp; do
	timeout 30 "$FAULTRUN" exec --backend $be -f "write budget=5000 path=$D/$be/**" -- \
		dd if=/dev/zero of="$D/$be/f" bs=4096 count=3 >"$D/$be.out" 2>"$D/$be.err"
	echo $? >"$D/$be.rc"
done
check "dd, budget: exactly 5000 bytes under both" \
	sh -c "[ \$(stat -c %s '$D/preload/f') = 5000 ] && [ \$(stat -c %s '$D/seccomp/f') = 5000 ]"
check "dd, budget: the same status under both (1)" \
	[ "$(cat "$D/preload.rc")" = 1 -a "$(cat "$D/seccomp.rc")" = 1 ]
check "dd, budget: the same message under both" \
	[ "$(grep '^dd: error' "$D/preload.err" | sed "s|$D/preload|X|")" = \
	"$(grep '^dd: error' "$D/seccomp.err" | sed "s|$D/seccomp|X|")" ]
check "dd, budget: the same counters under both" \
	[ "$(grep -o 'matched.*left 0' "$D/preload.err")" = "$(grep -o 'matched.*left 0' "$D/seccomp.err")" ]

# --- delay: the delayed write waits; the other thread's writes are answered meanwhile
sec "name=d write delay=300ms path=$D/d/slow" -- delay "$D/d/slow"
check "delay: the write went through after the other thread's" out_has "delay $D/d/slow: ok b-first"
check "delay: counted once" err_has "rule 'd' armed: matched 1, injected 1"
check "delay: the other thread's file was written" size_is "$D/d/slow.b" 10
start=$(date +%s%N)
sec "write delay=300ms path=$D/d/one" -- write "$D/d/one"
check "delay: the call took at least 300 ms" [ $((($(date +%s%N) - start) / 1000000)) -ge 300 ]

# --- stall on recv
port=$(freeport)
sec "name=t recv stall port=$port" -- recvto "$port" recvnb "$port"
check "stall: SO_RCVTIMEO expires: EAGAIN" out_has "recvto $port: EAGAIN"
check "stall: MSG_DONTWAIT: EAGAIN at once" out_has "recvnb $port: EAGAIN"
port=$(freeport)
"$FAULTRUN" exec --backend seccomp -f "name=t recv stall port=$port" -- "$W" recv "$port" \
	>"$D/st-out" 2>"$D/st-err" &
P=$!
# disarm once the recv is held (the rule has injected), not before
for _ in $(seq 100); do
	"$FAULTRUN" ctl --run "$P" list 2>/dev/null | grep -q "rule 't' armed: matched 1, injected 1" && break
	sleep 0.1
done
check "stall: the recv is held (nothing returned yet)" [ ! -s "$D/st-out" ]
"$FAULTRUN" ctl --run "$P" disarm t >/dev/null
for _ in $(seq 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
kill "$P" 2>/dev/null
wait "$P"; rc=$?
check "stall: after the disarm the recv gets what the peer sent" \
	grep -qx "recv $port: ok hello" "$D/st-out"
check "stall: the run ended well" succeeded
finish
