#!/bin/bash
# Never silent: every process of a run is accounted for. A process that
# cannot use the control block (here, one that runs as another user) says
# why, and faultrun reports it: exec exits 90 naming the process and the
# reason; a scenario fails with 'the shim reached every process'. A rule
# that never fires makes exec exit 90 unless --may-not-fire.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
[ "$(id -u)" = 0 ] || { note "needs root to run a target as nobody: skip"; exit 77; }
skip_unless setpriv
mkdir -p "$D/logs"
chmod 1777 "$D" "$D/logs"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

note "exec: the shim reached every process, by name"
"$FAULTRUN" exec --json "$D/j.json" -f "write errno=ENOSPC path=$D/logs/**" -- \
	bash -c "echo x > $D/logs/a; cat /dev/null | cat; exit 7" >"$D/out" 2>"$D/err"
rc=$?
check "exit status is the command's (7)" test "$rc" = 7
check "names the processes, the most frequent first" err_has "the shim was in 3 processes (cat ×2, bash)"
check "journal: every process attached" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
p = j["processes"]
sys.exit(0 if len(p) == 3 and all(x["attached"] for x in p) else 1)' "$D/j.json"

check "faultrun report draws exec's journal" sh -c \
	"'$FAULTRUN' report -q '$D/j.json' --html '$D/j.html' && grep -q 'fault rule0 fired' '$D/j.html'"

note "exec: a target that runs as another user refuses the block, and says why"
"$FAULTRUN" exec --json "$D/n.json" -f "write errno=ENOSPC path=$D/logs/**" -- \
	"${as_nobody[@]}" bash -c "echo x >> $D/logs/b" >"$D/out" 2>"$D/err"
rc=$?
check "exit 90: the rule never fired" test "$rc" = 90
check "names the refusing process, its user and why" \
	grep -qE "process [0-9]+ \(bash, uid 65534\) refused the control block: " "$D/err"
check "the rule's own line says why it never fired" \
	grep -q "rule 'rule0' never fired: process [0-9]* (bash, uid 65534) refused" "$D/err"
check "journal: the refusal" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
r = [x for x in j["processes"] if not x["attached"]]
sys.exit(0 if r and r[0]["uid"] == 65534 and r[0]["why"] else 1)' "$D/n.json"
check "the write went through: nothing was injected" test -s "$D/logs/b"
check "its journal draws a failed run naming the refusal" sh -c \
	"'$FAULTRUN' report -q '$D/n.json' --html '$D/n.html' && grep -q 'uid 65534' '$D/n.html'"

note "exec: --may-not-fire keeps the command's status"
"$FAULTRUN" exec -q --may-not-fire -f "write errno=ENOSPC path=$D/nowhere/**" -- true \
	>"$D/out" 2>"$D/err"
rc=$?
check "exit 0 with --may-not-fire" test "$rc" = 0
"$FAULTRUN" exec -q -f "write errno=ENOSPC path=$D/nowhere/**" -- true >"$D/out" 2>"$D/err"
rc=$?
check "exit 90 without it" test "$rc" = 90
check "and says that no call met the rule" err_has "no call met the rule"
"$FAULTRUN" exec -q -f "write errno=ENOSPC path=$D/nowhere/** may-not-fire" -- true \
	>"$D/out" 2>"$D/err"
rc=$?
check "the rule's own may-not-fire: exit 0" test "$rc" = 0

note "exec: a relative path= glob is resolved against the working directory"
(cd "$D" && "$FAULTRUN" exec -f "write errno=ENOSPC path=logs/**" -- \
	bash -c "echo x > logs/rel") >"$D/out" 2>"$D/err"
rc=$?
check "it fired: bash's write failed (exit 1)" test "$rc" = 1
check "the rule shows the absolute glob" err_has "path=$D/logs/\*\*"

note "a scenario whose target refuses the block fails, naming the process"
cat >"$D/refuse.yml" <<YML
name: refuse
target:
  command: [setpriv, --reuid=nobody, --regid=nogroup, --clear-groups, sh, -c,
            "while :; do echo x >> $D/logs/c; sleep 0.1; done"]
faults:
  full: "write errno=ENOSPC path=$D/logs/**"
probes:
  alive: {exec: {command: "true"}, interval: 200ms}
timeline:
  - {at: 300ms, inject: full}
duration: 1500ms
expect:
  - availability: {probe: alive, min: 90%}
YML
"$FAULTRUN" "$D/refuse.yml" -q --junit "$D/r.xml" --json "$D/r.json" --html "$D/r.html" \
	>"$D/out" 2>"$D/err"
rc=$?
check "exit 1" test "$rc" = 1
check "the table names the refusing process and why" \
	grep -qE "FAIL +the shim reached every process +process [0-9]+ \([a-z]+, uid 65534\) refused the control block: " "$D/out"
check "JUnit: a failed testcase for it" grep -q 'failure type="attached"' "$D/r.xml"
check "journal: processes and the failed assertion" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
a = [x for x in s["assertions"] if x["kind"] == "attached"]
sys.exit(0 if s["processes"]["refused"] >= 1 and a and not a[0]["ok"] else 1)' "$D/r.json"
note "a process started with a cleared environment leaves the run, and exec says so"
"$FAULTRUN" exec -f "write errno=ENOSPC path=$D/logs/**" -- \
	bash -c "echo x > $D/logs/e; env -i /bin/true; exit 0" >"$D/out" 2>"$D/err"
rc=$?
check "the rule fired: exit 0 (the command's)" test "$rc" = 0
check "names the process that left the run" \
	grep -qE "process [0-9]+ \(true, uid [0-9]+\) left the run: started with an environment that drops the run" "$D/err"

note "exec --user: a target run as nobody gets its ENOSPC"
"$FAULTRUN" exec --user nobody --json "$D/u.json" -f "write errno=ENOSPC path=$D/logs/**" -- \
	bash -c "id -u; echo x >> $D/logs/u" >"$D/out" 2>"$D/err"
rc=$?
check "it ran as nobody" grep -qx 65534 "$D/out"
check "its write failed with ENOSPC" err_has "No space left on device"
check "journal: injected, only on the rule's path, no refusal" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
ok = j["rules"][0]["injected"] >= 1 and all(e["where"].startswith(sys.argv[2]) for e in j["events"])
sys.exit(0 if ok and all(p["attached"] and p["uid"] == 65534 for p in j["processes"]) else 1)' \
	"$D/u.json" "$D/logs/"

note "a target that drops privileges itself (fork, then setuid) keeps its faults"
"$FAULTRUN" exec -q -f "write errno=ENOSPC path=$D/logs/**" -- /usr/bin/python3 -c '
import os, sys
pid = os.fork()
if pid == 0:
    os.setgid(65534); os.setuid(65534)
    try:
        with open(sys.argv[1], "w") as f: f.write("x")
        print("worker wrote")
    except OSError as e:
        print("worker errno", e.errno)
    os._exit(0)
os.waitpid(pid, 0)' "$D/logs/drop" >"$D/out" 2>"$D/err"
rc=$?
check "the worker, now uid 65534, gets ENOSPC" out_has "worker errno 28"

note "target.user: a scenario's target runs as nobody and gets its faults"
sed -e 's/^  command: \[setpriv, [^]]*sh, -c,$/  user: nobody\n  command: [sh, -c,/' "$D/refuse.yml" >"$D/user.yml"
"$FAULTRUN" "$D/user.yml" -q --json "$D/u2.json" >"$D/out" 2>"$D/err"
rc=$?
check "exit 0: the fault fired, every process attached" test "$rc" = 0
check "journal: the target's processes ran as nobody" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
p = s["processes"]
sys.exit(0 if p["refused"] == 0 and p["attached"] > 0 and all(x["uid"] == 65534 for x in p["list"]) else 1)' "$D/u2.json"
sed -e 's/user: nobody/user: no-such-user-here/' "$D/user.yml" >"$D/bad.yml"
"$FAULTRUN" check "$D/bad.yml" >"$D/out" 2>"$D/err"
rc=$?
check "an unknown user: exit 2 at its line and column" \
	sh -c "[ $rc = 2 ] && grep -q 'bad.yml:3:9: target.user .no-such-user-here.: no such user' '$D/err'"

note "a scenario whose target starts a process with a cleared environment fails, naming it"
cat >"$D/left.yml" <<YML
name: left
target:
  command: [sh, -c, "env -i /bin/sleep 30 & while :; do echo x >> $D/logs/l; sleep 0.1; done"]
faults:
  full: "write errno=ENOSPC path=$D/logs/**"
probes:
  alive: {exec: {command: "true"}, interval: 200ms}
timeline:
  - {at: 300ms, inject: full}
duration: 1500ms
expect:
  - availability: {probe: alive, min: 90%}
YML
"$FAULTRUN" "$D/left.yml" -q >"$D/out" 2>"$D/err"
rc=$?
check "exit 1" test "$rc" = 1
check "the table names the process that left the run" \
	grep -qE "FAIL +the shim reached every process +process [0-9]+ \(sleep, uid [0-9]+\) left the run" "$D/out"

check "HTML: the refusal beside the scenario's parameters" \
	grep -qE "<dt>shim</dt><dd>.*refused.*uid 65534\): " "$D/r.html"
finish
