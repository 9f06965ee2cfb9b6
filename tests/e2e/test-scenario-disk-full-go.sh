#!/bin/bash
# scenarios/disk-full-go.yml (incident 000 against the Go twin of
# supervised-log, a static binary the shim cannot reach) through faultrun's
# seccomp backend: the log directory a 1 KiB-free disk the access log fills, and
# EACCES on the state file's open, from 2 s to 7 s, an app crash at 4 s.
# The fixed supervisor keeps the site up and restarts its app (passes);
# the buggy one takes the failed log write as fatal, cannot save dump.pm2
# to resurrect the app and leaves the site down (fails).
# Skips (77) without Go (no supervised-log-go built).
. "$(dirname "$0")/test-scenario-lib.sh"
[ -x "$FAULTRUN_TARGETS/go/supervised-log-go" ] || {
	echo "no $FAULTRUN_TARGETS/go/supervised-log-go (Go not installed): skipped"
	exit 77
}

N=7 # assertions: 5 written + fired log-model, fired state-ro

# in_supervisor TAG: the seccomp backend listed the supervisor and its
# app(s), and every injection (a log write, the state file's open) landed
# in the supervisor, none in the app: the faults hit the process that
# writes the logs, as they hit PM2.
in_supervisor() {
	python3 - "$WORK/$1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
procs = s["processes"]["list"]
pids = {p["pid"] for p in procs}
roots = [p["pid"] for p in procs if p["ppid"] not in pids]
events = s["injections"]["events"]
where = {e["pid"] for e in events}
ok = (len(procs) >= 2 and len(roots) == 1 and events and where == set(roots)
      and all(p["exe"] == "supervised-log-go" for p in procs))
if not ok:
    print("# processes %s, injections in %s" % (procs, sorted(where)))
sys.exit(0 if ok else 1)
PY
}

run_scenario fixed disk-full-go.yml --json "$WORK/fixed.json"
passes fixed $N
ran_marked fixed 3 # faultrun, the supervisor, its app
check "fixed: ran under the seccomp backend" \
	grep -q 'supervised-log-go under the seccomp backend' "$WORK/fixed.err"
check "fixed: table: availability during log-model ok" \
	table_line fixed ok "availability of home during log-model"
check "fixed: table: both faults fired" \
	sh -c "grep -qE '^  ok +fault log-model fired +[1-9][0-9]* injection' '$WORK/fixed.out' &&
	       grep -qE '^  ok +fault state-ro fired +[1-9][0-9]* injection' '$WORK/fixed.out'"
check "fixed: every injection landed in the supervisor" in_supervisor fixed
# the app crashed at 4 s and was restarted although dump.pm2 could not be saved
check "fixed: the supervisor restarted its app during the fault" \
	sh -c "grep -q 'cannot save state to' '$WORK/fixed.xml' &&
	       grep -qE 'started \(pid [0-9]+, restarts 1\)' '$WORK/fixed.xml'"

run_scenario buggy disk-full-go.yml --set variant=buggy --json "$WORK/buggy.json"
fails_on buggy $N
ran_marked buggy 3
check "buggy: ran with variant=buggy" grep -qE "[[ ]variant=buggy[],]" "$WORK/buggy.out"
# the reason: the site went down during the fault and stayed down
check "buggy: table: availability during log-model FAILs" \
	table_line buggy FAIL "availability of home during log-model"
check "buggy: table: recovery FAILs (not recovered)" \
	grep -qE "^  FAIL +home recovers after log-model +not recovered" "$WORK/buggy.out"
check "buggy: JUnit: availability failure with the measured value" \
	junit buggy fail "availability of home during log-model" \
	'^measured [0-9.]+% \([0-9]+ of [0-9]+ ok\), expected >= 80%$'
check "buggy: JUnit: recovery failure with the measured value" \
	junit buggy fail "home recovers after log-model" \
	'^measured not recovered \(watched .* after clear 1\), expected <= 2s$'
# what did not go wrong: steady state held, the supervisor never died, and
# the faults fired (the buggy supervisor's resurrect hit EACCES)
check "buggy: JUnit: steady state before the fault passed" \
	junit buggy pass "availability of home before log-model"
check "buggy: JUnit: the supervisor was not restarted" \
	junit buggy pass "target restarts"
check "buggy: JUnit: log-model fired" junit buggy pass "fault log-model fired"
check "buggy: JUnit: state-ro fired" junit buggy pass "fault state-ro fired"
check "buggy: every injection landed in the supervisor" in_supervisor buggy
check "buggy: the supervisor's own words" \
	sh -c "grep -q 'uncaught exception' '$WORK/buggy.xml' &&
	       grep -q 'resurrect failed' '$WORK/buggy.xml'"

finish
