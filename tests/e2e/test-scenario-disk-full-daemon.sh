#!/bin/bash
# scenarios/disk-full-daemon.yml (incident 000 as PM2 runs: a daemon)
# through faultrun against daemon-supervisor running supervised-log's app:
# the fixed daemon passes; the buggy one fails because the site went down
# when dump.pm2 could not be saved and never came back (the app was not
# restarted). Both ways: faultrun followed the daemon through its pidfile,
# the EACCES landed in the daemon itself (not in the command that started
# it), and nothing of the run is left, neither the daemon nor its app.
. "$(dirname "$0")/test-scenario-lib.sh"

N=7 # assertions: 5 written + fired log-disk, fired state-ro

# journal TAG CHECK: the Python expression CHECK holds on the run's journal
# (s: the scenario; daemon: the pid from the pidfile; starter: the pid of
# the command that started it; procs: the processes the shim was in)
journal() {
	python3 - "$WORK/$1.json" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
life = s["target"]["lifecycle"]
daemon = [e["pid"] for e in life if e["event"] == "daemon"]
starter = [e["pid"] for e in life if e["event"] == "start"]
daemon = daemon[0] if len(daemon) == 1 else None
starter = starter[0] if len(starter) == 1 else None
procs = {p["pid"]: p for p in s["processes"]["list"]}
events = s["injections"]["events"]
ok = eval(sys.argv[2])
if not ok:
    print("# journal: %s does not hold (daemon %s, starter %s, processes %s, events %s)"
          % (sys.argv[2], daemon, starter, s["processes"]["summary"],
             sorted({(e["fault"], e["pid"]) for e in events})))
sys.exit(0 if ok else 1)
PY
}

# The pids the run had: the daemon, its apps (gone at the end, checked
# by pid as well as by the run's marker).
pids_of() {
	python3 - "$WORK/$1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
for p in s["processes"]["list"]:
    print(p["pid"], p["exe"])
PY
}

# still_runs PID MARKER: the pid runs (not a zombie) and is still the run's
# (the marker in its command line or environment: pids are reused fast on a
# busy machine, pid_max may be 32768)
still_runs() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null &&
		cat "/proc/$1/cmdline" "/proc/$1/environ" 2>/dev/null | grep -qaF -- "$2"
}

none_left_of() { # none_left_of TAG: no process the shim was in still runs
	local pid exe left= i
	for i in $(seq 1 40); do
		left=
		while read -r pid exe; do
			still_runs "$pid" "$WORK/$1.rt" && left="$left $pid($exe)"
		done < <(pids_of "$1")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	note "$1: still running:$left"
	return 1
}

# The run directory, kept (--keep) under the run's private runtime dir.
run_dir() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["scenarios"][0]["run_dir"])' "$WORK/$1.json"; }

daemon_checks() { # daemon_checks TAG
	check "$1: faultrun followed the daemon (its pidfile), not the command" \
		journal "$1" 'daemon and starter and daemon != starter and procs[daemon]["exe"] == "daemon-supervisor"'
	check "$1: the shim reached the daemon and its app" \
		journal "$1" 'procs[daemon]["attached"] and any(p["exe"] == "supervised-log" and p["ppid"] == daemon and p["attached"] for p in procs.values())'
	check "$1: every EACCES on dump.pm2 landed in the daemon" \
		journal "$1" '[e for e in events if e["fault"] == "state-ro"] and all(e["pid"] == daemon and e["errno"] == "EACCES" and e["where"].endswith("/dump.pm2") for e in events if e["fault"] == "state-ro")'
	check "$1: none in the command that started it" \
		journal "$1" 'not [e for e in events if e["pid"] == starter]'
	check "$1: the log disk's ENOSPC landed in the daemon's processes" \
		journal "$1" '[e for e in events if e["fault"] == "log-disk"] and all(e["pid"] == daemon or procs[e["pid"]]["ppid"] == daemon for e in events if e["fault"] == "log-disk")'
	check "$1: neither the daemon nor its app survived the run" none_left_of "$1"
}

run_scenario fixed disk-full-daemon.yml --json "$WORK/fixed.json" --keep
passes fixed $N
ran_marked fixed 3 # faultrun, the daemon, its app
daemon_checks fixed
check "fixed: table: availability during state-ro ok" \
	table_line fixed ok "availability of home during state-ro"
check "fixed: table: both faults fired" \
	sh -c "grep -qE '^  ok +fault log-disk fired +[1-9][0-9]* injection' '$WORK/fixed.out' &&
	       grep -qE '^  ok +fault state-ro fired +[1-9][0-9]* injection' '$WORK/fixed.out'"
# the app crashed at 6 s and the daemon restarted it while saves failed
check "fixed: the state file: the app online, restarted once" \
	grep -qE '"status": "online", "restarts": [1-9]' "$(run_dir fixed)/dump.pm2"

run_scenario buggy disk-full-daemon.yml --set variant=buggy --json "$WORK/buggy.json" --keep
fails_on buggy $N
ran_marked buggy 3
daemon_checks buggy
check "buggy: ran with variant=buggy" grep -qF "variant=buggy]" "$WORK/buggy.out"
# the reason: the site went down with the failed save and stayed down
check "buggy: table: availability during state-ro FAILs" \
	table_line buggy FAIL "availability of home during state-ro"
check "buggy: table: recovery FAILs (not recovered)" \
	grep -qE "^  FAIL +home recovers after state-ro +not recovered" "$WORK/buggy.out"
check "buggy: table: availability after state-ro FAILs" \
	table_line buggy FAIL "availability of load after state-ro +1s"
check "buggy: JUnit: availability failure with the measured value" \
	junit buggy fail "availability of home during state-ro" \
	'^measured [0-9.]+% \([0-9]+ of [0-9]+ ok\), expected >= 80%$'
check "buggy: JUnit: recovery failure with the measured value" \
	junit buggy fail "home recovers after state-ro" \
	'^measured not recovered \(watched .* after clear 1\), expected <= 2s$'
check "buggy: JUnit: availability after the fault failure" \
	junit buggy fail "availability of load after state-ro +1s" \
	'^measured [0-9.]+% \([0-9]+ of [0-9]+ ok\), expected >= 99%$'
# what did not go wrong: steady state held, the daemon never died ("PM2
# itself still ran"), and both faults fired
check "buggy: JUnit: steady state before the fault passed" \
	junit buggy pass "availability of home before state-ro"
check "buggy: JUnit: the daemon never exited" junit buggy pass "target exits"
check "buggy: JUnit: log-disk fired" junit buggy pass "fault log-disk fired"
check "buggy: JUnit: state-ro fired" junit buggy pass "fault state-ro fired"
# the daemon's own account (its messages went to the full disk, as PM2's
# did; the state file it saved once the fault was cleared says it)
check "buggy: the state file: the app errored, never restarted" \
	grep -qE '"pid": 0, "status": "errored", "restarts": 0' "$(run_dir buggy)/dump.pm2"

finish
