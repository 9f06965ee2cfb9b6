#!/bin/bash
# faultrun exec --backend seccomp (docs/seccomp.md) against a statically
# linked program no preload reaches (SEC_WRITER): errno faults land on
# exactly the matching path, port or open, the raw syscall(SYS_write) too;
# the summary's counters are exact; ctl arms and disarms a paused rule
# mid-run, and a rule ctl adds outside the filter is reported; a dynamic
# program gives what the preload gives; an action it cannot do is refused
# (125: reset, connect stall, slice=, rate=); with nothing armed the
# program's output is a plain run's.
# Needs FAULTRUN, FAULTRUN_SHIM, SEC_WRITER (empty: no static libc, skip).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
[ -n "${SEC_WRITER:-}" ] || { note "no static libc: skip"; exit 77; }
W=$SEC_WRITER
mkdir -p "$D/a" "$D/b"
# a free local port, for the connect rule (the program listens on it itself)
port=$(python3 "$(dirname "$0")/../e2e/free-port.py")
port2=$(python3 "$(dirname "$0")/../e2e/free-port.py")

# sec STATUS-FILE SPEC... -- ARGS: faultrun exec --backend seccomp on the static program
sec() {
	local args=()
	while [ "$1" != "--" ]; do
		args+=(-f "$1")
		shift
	done
	shift
	"$FAULTRUN" exec --backend seccomp "${args[@]}" -- "$W" "$@" >"$D/out" 2>"$D/err"
	rc=$?
}

# --- a static program is refused by the preload, run by seccomp and auto
"$FAULTRUN" exec -q -- "$W" >/dev/null 2>"$D/err"; rc=$?
check "static, preload: refused (126), pointing at --backend seccomp" \
	sh -c "[ $rc = 126 ] && grep -q 'backend seccomp can' '$D/err'"

# --- write errno=ENOSPC: only under a/, libc's write and the raw syscall alike
sec "write errno=ENOSPC path=$D/a/**" -- write "$D/a/f" write "$D/b/f" rawwrite "$D/a/raw" \
	open "$D/a/f"
check "write to a/: ENOSPC" out_has "write $D/a/f: ENOSPC"
check "write to b/: ok" out_has "write $D/b/f: ok"
check "raw syscall(SYS_write) to a/: ENOSPC" out_has "rawwrite $D/a/raw: ENOSPC"
check "open is not a write: ok" out_has "open $D/a/f: ok"
check "b/f was written" size_is "$D/b/f" 2
check "counters exact: matched 2, injected 2" err_has "armed: matched 2, injected 2"
check "the processes it saw, not the shim's" err_has "the seccomp backend saw 1 process (sec-writer)"
check "the command's status" succeeded

# --- open errno=EACCES on one path, connect errno=ECONNREFUSED on one port
sec "name=o open errno=EACCES path=$D/a/f" "name=c connect errno=ECONNREFUSED port=$port" -- \
	open "$D/a/f" open "$D/b/f" connect "$port" connect "$port2"
check "open of the rule's path: EACCES" out_has "open $D/a/f: EACCES"
check "open of another path: ok" out_has "open $D/b/f: ok"
check "connect to the rule's port: ECONNREFUSED" out_has "connect $port: ECONNREFUSED"
check "connect to another port: ok" out_has "connect $port2: ok"
check "open counters exact" err_has "rule 'o' armed: matched 1, injected 1"
check "connect counters exact" err_has "rule 'c' armed: matched 1, injected 1"

# --- --auto picks seccomp for a static program; --json says which backend
"$FAULTRUN" exec --backend auto --json "$D/j.json" -f "write errno=EIO path=$D/b/*" -- \
	"$W" write "$D/b/g" >"$D/out" 2>"$D/err"; rc=$?
check "auto: a static program runs under seccomp" out_has "write $D/b/g: EIO"
check "json: counters and the event, no shim" python3 -c "
import json,sys; j=json.load(open('$D/j.json'))
r=j['rules'][0]; e=j['events'][0]; t=j['scenarios'][0]['target']
sys.exit(not (r['matched']==1 and r['injected']==1 and e['errno']=='EIO' and
	e['where']=='$D/b/g' and e['op']=='write' and t['shim'] is False))"

# a path longer than an event holds is named by its end (the file's own name)
long=$D/b/$(printf 'l%.0s' $(seq 150))/file-named-at-the-end
mkdir -p "$(dirname "$long")"
"$FAULTRUN" exec --backend seccomp --json "$D/j.json" -f "write errno=EIO path=$D/b/**" -- \
	"$W" write "$long" >"$D/out" 2>"$D/err"; rc=$?
check "a long path: the event names its end" python3 -c "
import json,sys; e=json.load(open('$D/j.json'))['events'][0]; p='$long'
sys.exit(not (e['where']=='...'+p[-92:] and e['where'].endswith('/file-named-at-the-end')))"

# --- ctl: a paused rule armed and disarmed mid-run; an add outside the filter reported
"$FAULTRUN" exec --backend seccomp --paused --may-not-fire -f "name=d write errno=ENOSPC path=$D/a/**" \
	-- "$W" write "$D/a/c" touch "$D/r1" wait "$D/g1" write "$D/a/c" touch "$D/r2" wait "$D/g2" \
	write "$D/a/c" >"$D/c-out" 2>"$D/c-err" &
P=$!
waitfile() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }
waitfile "$D/r1"
"$FAULTRUN" ctl --run "$P" arm d >/dev/null
"$FAULTRUN" ctl --run "$P" add "name=late fsync errno=EIO" >/dev/null
touch "$D/g1"
waitfile "$D/r2"
"$FAULTRUN" ctl --run "$P" disarm d >/dev/null
touch "$D/g2"
wait "$P"; rc=$?
check "ctl: the run ended well" [ "$rc" = 0 ]
check "ctl: before arm, the write passes; armed, ENOSPC; disarmed, passes" \
	[ "$(grep -c '' "$D/c-out")" = 3 -a "$(sed -n 2p "$D/c-out")" = "write $D/a/c: ENOSPC" \
	-a "$(grep -c ': ok' "$D/c-out")" = 2 ]
check "ctl: counters exact" grep -q "rule 'd' disarmed: matched 1, injected 1" "$D/c-err"
check "ctl add outside the filter: reported" \
	grep -q "rule 'late': 'fsync' is outside the seccomp filter" "$D/c-err"
check "ctl add outside the filter: the explanation says why" \
	grep -q "rule 'late' never fired: 'fsync' is outside the seccomp filter" "$D/c-err"

# --- a dynamic program: the same as under the preload
echo hello >"$D/src"
"$FAULTRUN" exec -f "write errno=ENOSPC path=$D/a/**" -- cat "$D/src" >"$D/a/pre" 2>"$D/pre-err"
pre=$?
"$FAULTRUN" exec --backend seccomp -f "write errno=ENOSPC path=$D/a/**" -- cat "$D/src" \
	>"$D/a/sec" 2>"$D/sec-err"
sec=$?
check "cat: same status under both" [ "$pre" = "$sec" -a "$sec" = 1 ]
check "cat: same message under both" \
	[ "$(grep '^cat:' "$D/pre-err")" = "$(grep '^cat:' "$D/sec-err")" ]
check "cat: same counters under both" \
	[ "$(grep 'armed:' "$D/pre-err")" = "$(grep 'armed:' "$D/sec-err")" ]

# --- an action the backend cannot do yet: refused at start, one line
"$FAULTRUN" exec --backend seccomp -f "name=s send slow-close=1s port=$port" -- "$W" \
	>"$D/out" 2>"$D/err"; rc=$?
check "slow-close: exit 125" [ "$rc" = 125 ]
check "slow-close: one line naming the rule and the backend" sh -c "[ \$(wc -l <'$D/err') = 1 ] &&
	grep -q \"rule 's': the seccomp backend cannot do '.*' yet\" '$D/err'"
for spec in "connect stall port=$port" "connect blackhole port=$port" "send close-after=1KiB port=$port" "recv rate=1KiB/s port=$port"; do
	"$FAULTRUN" exec --backend seccomp -f "$spec" -- "$W" >"$D/out" 2>"$D/err"; rc=$?
	check "$spec: refused (125)" [ "$rc" = 125 ]
done
"$FAULTRUN" exec --backend nope -- "$W" 2>"$D/err"; rc=$?
check "bad --backend: exit 125" [ "$rc" = 125 ]

# --- nothing armed: the output of a plain run
steps() { echo write "$1/a/f" write "$1/b/f" rawwrite "$1/a/r" open "$1/a/f" open "$1/nope"; }
mkdir -p "$D/p1/a" "$D/p1/b" "$D/p2/a" "$D/p2/b"
"$W" $(steps "$D/p1") >"$D/plain" 2>&1
"$FAULTRUN" exec -q --backend seccomp --paused --may-not-fire \
	-f "write errno=ENOSPC path=$D/p2/**" -f "open errno=EACCES path=$D/p2/**" -- \
	"$W" $(steps "$D/p2") >"$D/quiet" 2>&1
check "nothing armed: the output is a plain run's" \
	diff <(sed "s|$D/p1|X|g" "$D/plain") <(sed "s|$D/p2|X|g" "$D/quiet")
finish
