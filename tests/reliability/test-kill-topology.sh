#!/bin/bash
# Nothing of a run outlives a SIGKILLed faultrun, with a topology: a
# `daemon: true` service running scenarios/targets/daemon-supervisor (a
# double-forked daemon in its own session, restarting its app) and a
# `type: haproxy` service in front of the target. faultrun is SIGKILLed
# after t = 0; within 5 s no haproxy, no supervisor, no app and no target
# may be left. Twice: as faultrun chooses (a cgroup as root), and with
# FAULTRUN_REAP=subreaper (the subreaper and the sentinel), as
# test-kill.sh does.
. "$(dirname "$0")/lib.sh"
skip_unless python3
: "${FAULTRUN_TARGETS:?FAULTRUN_TARGETS must name the built scenarios/targets}"
sup=$FAULTRUN_TARGETS/daemon-supervisor
app=$FAULTRUN_TARGETS/supervised-log
[ -x "$sup" ] && [ -x "$app" ] || { note "no daemon-supervisor built: skip"; exit 77; }
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { note "no haproxy: skip"; exit 77; }

export XDG_RUNTIME_DIR=$W/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
tok=$$$RANDOM # in the command lines of the run's own processes

# Processes whose command line contains the string (a zombie has none).
# the run's processes: marked command lines (the target, the supervisor
# and its app: their paths are under $W), HAProxy (its file is in the run
# directory, under $XDG_RUNTIME_DIR), and the sentinel
left_of_run() {
	procs_with_cmd "$tok"
	procs_with_cmd "$W/"
	[ -n "${sentry:-}" ] && [ -d "/proc/$sentry" ] &&
		! grep -q '^State:.*Z' "/proc/$sentry/status" && echo "$sentry"
	true
}
none_left() { [ -z "$(left_of_run)" ]; }

mkdir -p "$W/state"
cat >"$W/topo.yml" <<YML
name: kill-topology
services:
  sup:
    type: process
    shim: false
    daemon: true
    command: ["$sup", --variant, fixed, --pidfile, "\${run_dir}/sup.pid",
              --state, "$W/state/dump.pm2", --log, "$W/sup.log",
              --save-every, "200", --restart-delay, "100", --,
              "$app", app, --port, "\${port.app}", --name, "web.$tok"]
    ready: {http: "http://127.0.0.1:\${port.app}/status", deadline: 20s}
  lb:
    type: haproxy
    port: \${port.lb}
    backends: [target]
    check: {interval: 200ms, rise: 1, fall: 2}
target:
  command: "exec python3 -m http.server --bind 127.0.0.1 \${port.target} --directory $W/state # $tok"
  shim: false
probes:
  users: {http: "http://127.0.0.1:\${port.lb}/", interval: 200ms}
duration: 60s
expect: [{exits: 0}]
YML

# find_sentry PID: $sentry becomes PID's child named faultrun-sentry. The
# sentinel names itself after the fork (prctl in the child), so a run can
# reach t = 0 before the name shows: callers wait for it.
find_sentry() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = faultrun-sentry ] && sentry=$c && return 0
	done
	return 1
}

kill_run() { # kill_run REAP
	local pid
	sentry=
	FAULTRUN_REAP=$1 "$FAULTRUN" "$W/topo.yml" -v >"$W/out" 2>"$W/err" &
	pid=$!
	if ! check "$1: the run reached t = 0" wait_for 40 grep -q "the timeline starts" "$W/err"; then
		sed 's/^/#   /' "$W/err" | tail -10
	fi
	wait_for 5 find_sentry "$pid"
	# a dead sentinel would leave the subreaper way nothing to kill with
	[ "$1" = subreaper ] && check "$1: the sentinel is running" sh -c "
		[ -n '$sentry' ] && ! grep -q '^State:.*Z' /proc/$sentry/status"
	check "$1: haproxy, the supervisor, its app and the target run" sh -c "
		pgrep -f 'haproxy .*$XDG_RUNTIME_DIR' >/dev/null &&
		pgrep -f '$sup' >/dev/null && pgrep -f 'web.$tok' >/dev/null &&
		pgrep -f 'http.server.*# $tok' >/dev/null"
	# a few of the sentinel's 100 ms sweeps (docs/reliability.md)
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	if wait_for 5 none_left; then
		ok "$1: no process of the run left 5 s after SIGKILL"
	else
		fail "$1: no process of the run left 5 s after SIGKILL"
		describe $(left_of_run)
	fi
	for p in $(left_of_run); do kill -KILL "$p" 2>/dev/null; done
	# the next run of the user reclaims the run directory
	"$FAULTRUN" exec -q -- true
}

for reap in auto subreaper; do
	note "KILL after t = 0 ($reap)"
	kill_run "$reap"
done
# never silent: a sentinel that died is reported at the end of the run
cat >"$W/short.yml" <<YML
name: short
target: {command: "exec sleep 30 # $tok", shim: false}
duration: 3s
expect: [{exits: 0}]
YML
sentry=
FAULTRUN_REAP=subreaper "$FAULTRUN" "$W/short.yml" >"$W/out" 2>"$W/err" &
pid=$!
wait_for 20 grep -q "the timeline starts" "$W/err"
wait_for 5 find_sentry "$pid"
[ -n "$sentry" ] && kill -KILL "$sentry"
wait "$pid"
check "a sentinel killed mid-run: faultrun says so" \
	grep -q "warning: the sentinel (pid $sentry) was killed by signal 9: had faultrun been killed" "$W/err"
[ "$fails" = 0 ]
