#!/bin/bash
# faultrun exec and faultrun ctl as a user meets them: exit statuses, the
# refusals, the seed, --paused, --json, and ctl's verbs against a live run.
# Needs FAULTRUN, FAULTRUN_SHIM and FAKE_GO (a binary with a Go section).
. "$(dirname "$0")/test-exec-lib.sh"
: "${FAKE_GO:?}"

# --- bad input: one line naming the argument, exit 125 (env(1)'s own-error status)
"$FAULTRUN" exec -f "write errno=ENOSCP" -- true 2>"$D/err"; rc=$?
check "bad errno: exit 125" [ "$rc" = 125 ]
check "bad errno: names the field" grep -qx "faultrun: -f 'write errno=ENOSCP': 'errno=ENOSCP': unknown errno 'ENOSCP' (did you mean ENOSPC?)" "$D/err"
"$FAULTRUN" exec -f "write errno=EIO pth=/x" -- true 2>"$D/err"; rc=$?
check "unknown field: exit 125 and a suggestion" sh -c "[ $rc = 125 ] && grep -q \"did you mean 'path'\" '$D/err'"
"$FAULTRUN" exec -f "open errno=ECONNREFUSED" -- true 2>"$D/err"; rc=$?
check "impossible errno: exit 125" sh -c "[ $rc = 125 ] && grep -q 'open() never fails with ECONNREFUSED' '$D/err'"
"$FAULTRUN" exec -f "name=a write errno=EIO" -f "name=a read errno=EIO" -- true 2>"$D/err"; rc=$?
check "duplicate rule name: exit 125" sh -c "[ $rc = 125 ] && grep -q \"name 'a' is used twice\" '$D/err'"
"$FAULTRUN" exec --seed x -- true 2>"$D/err"; rc=$?
check "bad seed: exit 125" [ "$rc" = 125 ]
"$FAULTRUN" exec -- no-such-program-here 2>"$D/err"; rc=$?
check "missing program: exit 127" sh -c "[ $rc = 127 ] && grep -qx \"faultrun: 'no-such-program-here': no such program\" '$D/err'"
"$FAULTRUN" exec 2>"$D/err"; rc=$?
check "no command: exit 125" [ "$rc" = 125 ]

# --- what a preload cannot reach: found but cannot be run, exit 126
if command -v cc >/dev/null && echo 'int main(void){return 0;}' >"$D/s.c" &&
	cc -static -o "$D/static" "$D/s.c" 2>/dev/null; then
	"$FAULTRUN" exec -- "$D/static" 2>"$D/err"; rc=$?
	check "static binary: exit 126" sh -c "[ $rc = 126 ] && grep -q 'statically linked' '$D/err'"
else
	note "no static libc: static check skipped"
fi
cp "$(type -P true)" "$D/suid" && chmod u+s "$D/suid"
"$FAULTRUN" exec -- "$D/suid" 2>"$D/err"; rc=$?
check "setuid binary: exit 126" sh -c "[ $rc = 126 ] && grep -q 'setuid' '$D/err'"
"$FAULTRUN" exec -- "$FAKE_GO" 2>"$D/err"; rc=$?
check "Go binary: exit 126" sh -c "[ $rc = 126 ] && grep -q 'Go program' '$D/err'"
printf '#!/usr/bin/env %s\n' "$D/static" >"$D/script" && chmod +x "$D/script"
if [ -x "$D/static" ]; then
	"$FAULTRUN" exec -- "$D/script" 2>"$D/err"; rc=$?
	check "script with a static interpreter: exit 126" [ "$rc" = 126 ]
fi
FAULTRUN_SHIM=/nonexistent/libfaultshim.so "$FAULTRUN" exec -- true 2>"$D/err"; rc=$?
check "missing shim: exit 125" sh -c "[ $rc = 125 ] && grep -q 'not found' '$D/err'"

printf 'echo never\n' >"$D/noexec"
"$FAULTRUN" exec -- "$D/noexec" 2>"$D/err"; rc=$?
check "file not executable: exit 126" sh -c "[ $rc = 126 ] && grep -q 'is not executable' '$D/err'"
"$FAULTRUN" exec -- "$D/no-such-file" 2>"$D/err"; rc=$?
check "missing path: exit 127" [ "$rc" = 127 ]
"$FAULTRUN" exec --no-such-option -- true 2>"$D/err"; rc=$?
check "bad option: exit 125" [ "$rc" = 125 ]

# --- the command's status is faultrun's status
"$FAULTRUN" exec -q -- sh -c 'exit 7'; rc=$?
check "exit status passed through" [ "$rc" = 7 ]
"$FAULTRUN" exec -q -- sh -c 'exit 2'; rc=$?
check "the command's own 2 is 2" [ "$rc" = 2 ]
"$FAULTRUN" exec -q -- sh -c 'exit 127'; rc=$?
check "the command's own 127 is 127" [ "$rc" = 127 ]
"$FAULTRUN" exec -q -- sh -c 'kill -TERM $$'; rc=$?
check "killed by SIGTERM: 128+15" [ "$rc" = 143 ]
# SIGTERM (and SIGHUP) to faultrun are passed on to the command, and
# faultrun reports after it: the command's trap runs, its status is exec's
rm -f "$D/ready" "$D/term"
"$FAULTRUN" exec -q -- sh -c "trap 'echo term >$D/term; exit 3' TERM; echo >$D/ready; while :; do sleep 0.05; done" &
fpid=$!
for _ in $(seq 100); do [ -e "$D/ready" ] && break; sleep 0.05; done
kill -TERM "$fpid"
for _ in $(seq 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.05; done
kill -KILL "$fpid" 2>/dev/null
wait "$fpid"; rc=$?
check "SIGTERM to faultrun reaches the command: its trap ran, its 3 is exec's" \
	sh -c "[ '$rc' = 3 ] && grep -q term '$D/term'"

# --- the seed decides probability, and is printed
mkdir -p "$D/p"
run_prob() {
	"$FAULTRUN" exec --seed "$1" -f "name=p write errno=EIO probability=0.5 path=$D/p/**" -- \
		bash -c "for i in \$(seq 40); do echo x 2>/dev/null >>'$D/p/f' && printf 1 || printf 0; done"
}
a=$(run_prob 1234 2>"$D/err"); b=$(run_prob 1234 2>/dev/null); c=$(run_prob 999 2>/dev/null)
check "seed printed" grep -qx "faultrun: seed 1234" "$D/err"
check "same seed, same decisions" [ "$a" = "$b" ]
check "another seed, other decisions" [ "$a" != "$c" ]
check "probability 0.5 fails some and passes some" sh -c "echo '$a' | grep -q 0 && echo '$a' | grep -q 1"

# --- --paused loads rules disarmed; --json has the counts
"$FAULTRUN" exec --paused --may-not-fire --json "$D/j.json" -f "name=d write errno=ENOSPC path=$D/**" -- \
	sh -c "echo hi > '$D/f1'" 2>"$D/err"; rc=$?
check "paused rule does not fire" sh -c "[ $rc = 0 ] && grep -q hi '$D/f1'"
check "json: rule disarmed, nothing injected" python3 -c "
import json,sys; j=json.load(open('$D/j.json'))
r=j['rules'][0]; sys.exit(not (r['name']=='d' and r['armed'] is False and r['injected']==0 and j['exit_status']==0))"
"$FAULTRUN" exec -q --json "$D/j2.json" -f "name=d write errno=ENOSPC path=$D/**" -- \
	bash -c "echo hi > '$D/f2'"; rc=$?
check "armed rule fires, json counts it" python3 -c "
import json,sys; j=json.load(open('$D/j2.json'))
r=j['rules'][0]; e=j['events'][0]
sys.exit(not (r['injected']>=1 and e['errno']=='ENOSPC' and e['where']=='$D/f2' and e['op']=='write' and j['exit_status']==$rc!=0))"

# --- ctl against a live run: list, arm, disarm (glob), add, events
mkdir -p "$D/c"
"$FAULTRUN" exec -q --paused -f "name=disk write errno=ENOSPC path=$D/c/**" -- \
	bash -c "while [ ! -e '$D/c/stop' ]; do echo x >> '$D/c/log' 2>/dev/null && echo ok || echo fail; sleep 0.05; done" >"$D/c-out" &
P=$!
for _ in $(seq 100); do grep -q ok "$D/c-out" 2>/dev/null && break; sleep 0.05; done
"$FAULTRUN" ctl --run "$P" list >"$D/list"
check "ctl list shows the rule disarmed" grep -q "rule 'disk' disarmed" "$D/list"
"$FAULTRUN" ctl --run "$P" arm 'di*' >/dev/null
n0=$(grep -c fail "$D/c-out")
for _ in $(seq 100); do [ "$(grep -c fail "$D/c-out")" -gt "$n0" ] && break; sleep 0.05; done
check "ctl arm: the running program meets the fault" [ "$(grep -c fail "$D/c-out")" -gt "$n0" ]
"$FAULTRUN" ctl --run "$P" disarm disk >/dev/null
sleep 0.3
n1=$(grep -c ok "$D/c-out"); sleep 0.4
check "ctl disarm: writes work again" [ "$(grep -c ok "$D/c-out")" -gt "$n1" ]
"$FAULTRUN" ctl --run "$P" events >"$D/events"
check "ctl events: injections listed" grep -q "rule 'disk' write ENOSPC $D/c/log" "$D/events"
"$FAULTRUN" ctl --run "$P" arm nope 2>"$D/err"; rc=$?
check "ctl arm of an unknown rule: exit 2" sh -c "[ $rc = 2 ] && grep -q \"no rule named 'nope'\" '$D/err'"
"$FAULTRUN" ctl --run "$P" add "name=late open errno=EACCES path=$D/c/stop" >/dev/null
: >"$D/c/stop2"
"$FAULTRUN" ctl --run "$P" add "bogus" 2>"$D/err"; rc=$?
check "ctl add of a bad spec: exit 2" [ "$rc" = 2 ]
"$FAULTRUN" ctl --run "$P" list >"$D/list"
check "ctl add: the new rule is listed armed" grep -q "rule 'late' armed" "$D/list"
"$FAULTRUN" ctl --run "$P" disarm late >/dev/null
touch "$D/c/stop"
wait "$P"
"$FAULTRUN" ctl --run 1 list 2>"$D/err"; rc=$?
check "ctl --run of a dead pid: exit 3" [ "$rc" = 3 ]
# --- without XDG_RUNTIME_DIR, exec's run directory is on /dev/shm when that
# is a tmpfs (made and removed per command), and ctl finds the run there
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	env -u XDG_RUNTIME_DIR "$FAULTRUN" exec -q --may-not-fire \
		-f "name=shm write errno=EIO path=/nonexistent/**" -- \
		sh -c 'echo "$FAULTRUN_CTL"; "$0" ctl --run "$PPID" list' "$FAULTRUN" >"$D/shm" 2>&1
	check "exec without XDG_RUNTIME_DIR: the block is on /dev/shm" \
		grep -q "^/dev/shm/faultrun-$(id -u)/exec-" "$D/shm"
	check "ctl finds a run on /dev/shm" grep -q "rule 'shm' armed" "$D/shm"
	shm_ctl=$(head -1 "$D/shm")
	check "the run directory is gone after exec" sh -c "[ -n '$shm_ctl' ] && [ ! -e '${shm_ctl%/ctl}' ]"
fi
"$FAULTRUN" ctl frobnicate 2>"$D/err"; rc=$?
check "ctl unknown verb: exit 2" [ "$rc" = 2 ]

# --- exec and ctl load only what they use: the scenario runner, with the
# client libraries, is a program of its own that faultrun execs
ldd "$FAULTRUN" >"$D/ldd" 2>&1
check "faultrun itself links no libcurl, MariaDB client or libyaml" \
	sh -c "! grep -Eq 'libcurl|libmariadb|libmysqlclient|libyaml' '$D/ldd'"
# each library is mapped and relocated at every start: libc and nothing else
# (but a sanitizer build's runtimes)
needed() { readelf -d "$FAULTRUN" | grep NEEDED | grep -vE 'lib(a|ub|t)san\.so'; }
check "faultrun itself needs libc only ($(needed | sed 's/.*\[//; s/\]//' | tr '\n' ' '))" \
	sh -c "[ \"\$(readelf -d '$FAULTRUN' | grep NEEDED | grep -cvE 'lib(a|ub|t)san\\.so')\" = 1 ] && readelf -d '$FAULTRUN' | grep -q 'NEEDED.*libc.so'"
printf 'name: x\ntarget: {command: [true]}\nduration: 1s\nexpect: [{exits: 0}]\n' >"$D/x.yml"
FAULTRUN_RUNNER=$D/no-runner "$FAULTRUN" check "$D/x.yml" 2>"$D/err"; rc=$?
check "a missing runner: exit 3, naming it" sh -c "[ $rc = 3 ] &&
	grep -qx 'faultrun: cannot start the scenario runner $D/no-runner: No such file or directory' '$D/err'"
"$FAULTRUN" check "$D/x.yml" >"$D/out" 2>&1; rc=$?
check "faultrun check goes through the runner" sh -c "[ $rc = 0 ] || { cat '$D/out'; false; }"

# past a limit of the shim (a disk rule follows 4096 files at once): said in
# the summary and in the journal's "limits", never a silent pass
mkdir -p "$D/many"
"$FAULTRUN" exec --json "$D/lim.json" -f "disk free=64MiB path=$D/many/** may-not-fire" -- \
	sh -c "ulimit -n 8192 && exec python3 -c \"
import os
fds = [os.open('$D/many/%d' % i, os.O_WRONLY | os.O_CREAT, 0o600) for i in range(4200)]
for fd in fds: os.write(fd, b'x')
\"" 2>"$D/err"; rc=$?
check "4200 files at once: exit 0" [ "$rc" = 0 ]
check "4200 files at once: the summary says 104 were not charged" \
	grep -q "disk: 104 files were not charged: more than 4096 at once" "$D/err"
check "4200 files at once: so does the journal" python3 -c "
import json, sys
l = json.load(open('$D/lim.json'))['scenarios'][0]['limits']
sys.exit(0 if l == {'files_not_charged': 104, 'socket_calls_untracked': 0, 'datagrams_in_order': 0, 'io_uring_setups': 0, 'stall_wakes_failed': 0} else 1)"
# a process the command leaves running: once faultrun exec returns nobody
# reports its faults, so its rules are switched off, and faultrun names it.
# The writer's first write (while the command runs) fails, its second
# (after faultrun returned) must not.
cat >"$D/left.py" <<'PY'
import os, sys, time
d = sys.argv[1]
def put(tag):
    try:
        fd = os.open(d + "/victim", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(fd, b"x")
        os.close(fd)
        r = "ok"
    except OSError as e:
        r = os.strerror(e.errno)
    open(d + "/left-" + tag, "w").write(r + "\n")
put("first")
end = time.time() + 20
while not os.path.exists(d + "/faultrun-done") and time.time() < end:
    time.sleep(0.02)
put("second")
PY
rm -f "$D"/left-* "$D/faultrun-done"
"$FAULTRUN" exec --json "$D/left.json" -f "write errno=EIO path=$D/victim" -- \
	sh -c "python3 '$D/left.py' '$D' & i=0; while [ ! -e '$D/left-first' ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done" \
	2>"$D/err"; rc=$?
touch "$D/faultrun-done"
for _ in $(seq 200); do [ -e "$D/left-second" ] && break; sleep 0.05; done
check "left running: exit 0, the rule fired while the command ran" sh -c "[ $rc = 0 ] && grep -qx 'Input/output error' '$D/left-first'"
check "left running: after faultrun returned, its write is not failed" grep -qx ok "$D/left-second"
check "left running: faultrun names it and says its rules are off" \
	grep -Eq "faultrun: 1 process outlived the command under the shim: python3 \(pid [0-9]+\); every rule is switched off in it" "$D/err"
check "left running: the journal counts it" python3 -c "
import json, sys
sys.exit(json.load(open('$D/left.json'))['processes_outlived'] != 1)"
finish
