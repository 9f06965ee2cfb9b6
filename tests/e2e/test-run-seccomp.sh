#!/bin/bash
# A scenario's `backend: seccomp` (docs/seccomp.md, "Scenario runs"): a
# statically linked target (tests/seccomp/sec-writer.c, which the shim
# cannot reach) gets an errno fault the timeline injects, and the journal
# shows its counters, its event and the process the backend saw; a fault
# that never fires is explained in the backend's words. Load errors: a bad
# `backend:` value, and an action the backend cannot do, each one line at
# file:line:col. Skips (77) without a static libc (no sec-writer).
set -u
[ -x "${FAULTRUN:-}" ] || { echo "FAULTRUN not set"; exit 99; }
[ -n "${SEC_WRITER:-}" ] && [ -x "$SEC_WRITER" ] || { echo "no static sec-writer: skipped"; exit 77; }
export SEC_WRITER
W=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-runsec.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -m 700 "$W/rt"
export XDG_RUNTIME_DIR=$W/rt
fails=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# the writer writes a, waits for the step's go, writes b (the fault's), then waits
cat >"$W/w.yml" <<'Y'
name: sec-writer
target:
  command: ["${env.SEC_WRITER}", write, "${run_dir}/a", wait, "${run_dir}/go",
            write, "${run_dir}/b", wait, "${run_dir}/never"]
  backend: seccomp
faults:
  full: "write errno=ENOSPC path=${run_dir}/b"
  never: "write errno=EIO path=${run_dir}/nothing"
timeline:
  - {at: 200ms, inject: full}
  - {at: 200ms, inject: never}
  - {at: 400ms, run: "touch ${run_dir}/go"}
  - {at: 1500ms, end: true}
expect:
  - fired: full
  - fired: never
Y
timeout 60 "$FAULTRUN" run "$W/w.yml" --json "$W/j.json" >"$W/out" 2>"$W/err"
st=$?
cat "$W/out"
check "exit 1 (the fault 'never' did not fire)" test "$st" = 1
check "the fault on the timeline fired" grep -qE '^  ok +fault full fired +1 injection ' "$W/out"
check "'never' is explained by the seccomp backend" \
	grep -qE '^  FAIL +fault never fired +0 injections: the seccomp backend saw 1 process \(sec-writer\); no call met the rule' "$W/out"
check "journal: counters, the event with its errno and path, the process seen" python3 - "$W/j.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
f = {x["name"]: x for x in s["faults"]}
assert f["full"]["injected"] == 1 and f["full"]["matched"] == 1, f["full"]
assert f["never"]["injected"] == 0, f["never"]
ev = s["injections"]["events"]
assert len(ev) == 1 and ev[0]["fault"] == "full", ev
blob = json.dumps(ev[0])
assert "ENOSPC" in blob and "/b" in blob, ev[0]
assert "sec-writer" in json.dumps(s["processes"]), s["processes"]
assert any(l.endswith("b: ENOSPC") for l in s["target"]["output"]), s["target"]["output"]
PY

# a bad value: one line at its line and column, exit 2
sed 's/backend: seccomp/backend: seccom/' "$W/w.yml" >"$W/bad.yml"
"$FAULTRUN" check "$W/bad.yml" >"$W/bad.out" 2>&1
st=$?
cat "$W/bad.out"
check "bad backend: exit 2" test "$st" = 2
check "bad backend: one line at file:line:col" \
	grep -qxF "faultrun: $W/bad.yml:5:12: target.backend 'seccom': expected preload, seccomp or auto (did you mean 'seccomp'?)" "$W/bad.out"
check "bad backend: only that line" test "$(wc -l <"$W/bad.out")" = 1

# a delayed call: the runner's seccomp thread answers it when due (the
# writer's output says its write of b went through, 300 ms late at least)
sed -e 's|full: "write errno=ENOSPC|full: "write delay=300ms|' \
	-e 's|{at: 1500ms, end: true}|{at: 2500ms, end: true}|' "$W/w.yml" >"$W/delay.yml"
timeout 60 "$FAULTRUN" run "$W/delay.yml" --json "$W/d.json" >"$W/d.out" 2>&1
cat "$W/d.out"
check "delay: the fault fired" grep -qE '^  ok +fault full fired +1 injection ' "$W/d.out"
check "delay: the write of b was answered (not held forever)" python3 -c "
import json, sys
s = json.load(open('$W/d.json'))['scenarios'][0]
out = s['target']['output']
sys.exit(0 if any(l.endswith('b: ok') or ('b' in l and 'wrote' in l) for l in out) else 1)" 

# an action the backend cannot do yet: refused at load, naming the rule
sed 's|full: "write errno=ENOSPC path=${run_dir}/b"|full: "connect blackhole port=9"|' "$W/w.yml" >"$W/act.yml"
"$FAULTRUN" run "$W/act.yml" >"$W/act.out" 2>&1
st=$?
cat "$W/act.out"
check "unsupported action: exit 2" test "$st" = 2
check "unsupported action: the rule named at the fault's line:col" \
	grep -qE "^faultrun: $W/act.yml:7:9: rule 'full': .*blackhole.*backend is seccomp \(line 5\)" "$W/act.out"

# nothing left: no process has the test's directory in its command line
# (the run directory is under it: sec-writer's arguments)
left=""
for i in $(seq 1 20); do
	left=$(pgrep -f -- "$W" || true)
	[ -z "$left" ] && break
	sleep 0.1
done
check "nothing left running" test -z "$left"

[ "$fails" = 0 ]
