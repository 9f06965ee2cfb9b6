#!/bin/bash
# Nothing survives faultrun: SIGKILL faultrun in the middle of a run whose
# target has children, a grandchild that left the process group (setsid),
# and exec probes in flight; then no process of the run may be left.
. "$(dirname "$0")/test-run-lib.sh"

cat >"$WORK/long.yml" <<YML
name: long
target:
  command: "python3 $LOGSRV --port \${port.http} & sleep 1000.$$ & setsid sleep 1001.$$ & wait"
  ready: {tcp: "127.0.0.1:\${port.http}", deadline: 10s}
probes:
  home: {http: "http://127.0.0.1:\${port.http}/", interval: 100ms}
  slow: {exec: "sleep 30.$$", interval: 300ms, timeout: 60s}
duration: 60s
expect: [{exits: 0}]
YML

run() { # run SIGNAL: start faultrun, kill it with SIGNAL once all is up
	local sig=$1 pid run_dir
	"$FAULTRUN" "$WORK/long.yml" -q >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	# every part is up: the server, both sleeps, an exec probe
	if ! wait_for 40 eval '[ -n "$(procs_with_cmd "sleep 1001.$$")" ] && [ -n "$(procs_with_cmd "sleep 30.$$")" ]'; then
		fail "the run did not start"
		sed 's/^/#   faultrun said: /' "$WORK/err" "$WORK/out"
		kill -KILL "$pid"
		return
	fi
	ctl=$({ tr '\0' '\n' </proc/"$(procs_with_cmd "sleep 1001.$$" | head -1)"/environ; } 2>/dev/null |
		grep '^FAULTRUN_CTL=')
	note "the run's processes: $(procs_with_env "$ctl" | wc -l) (${ctl})"
	check "the setsid grandchild carries the run's FAULTRUN_CTL" test -n "$ctl"
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	check "after SIG$sig no process of the run is left" \
		wait_for 5 eval '[ -z "$(procs_with_env "$ctl")" ]'
	check "after SIG$sig no sleep of the run is left" \
		wait_for 5 eval '[ -z "$(procs_with_cmd "sleep 1001.$$")$(procs_with_cmd "sleep 1000.$$")$(procs_with_cmd "sleep 30.$$")" ]'
	# leave nothing behind even when the check failed
	for p in $(procs_with_env "$ctl"); do kill -KILL "$p" 2>/dev/null; done
}

note "SIGKILL: the sentinel and PR_SET_PDEATHSIG clean up"
run KILL

finish
