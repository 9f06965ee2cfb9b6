#!/bin/bash
# Daemons: a double-forking C daemon (tests/e2e/targets/dfork.c) as the
# target and as a service. Declared (daemon: true, or pidfile:), faultrun
# tracks the process it left and kills it at the end; undeclared, the run
# stops with a message that says what happened and how to declare it;
# after SIGKILL of faultrun, nothing of the daemon survives.
. "$(dirname "$0")/test-run-lib.sh"

: "${DFORK:?the dfork test daemon}"

declared() { # declared NAME KEY: a scenario whose target is the daemon
	cat >"$WORK/$1.yml" <<YML
name: $1
services:
  helper:
    type: process
    command: [$DFORK, "$WORK/$1-svc.pid"]
    daemon: true
target:
  command: [$DFORK, "$WORK/$1.pid"]
  $2
probes:
  up: {target: alive, interval: 100ms}
  helper-up: {target: alive, service: helper, interval: 100ms}
duration: ${3:-1s}
expect:
  - availability: {probe: up, min: 100%}
  - availability: {probe: helper-up, min: 100%}
  - exits: 0
  - exits: {service: helper, max: 0}
YML
}

gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

for name in ddaemon dpidfile; do
	key="daemon: true"
	[ "$name" = dpidfile ] && key="pidfile: $WORK/dpidfile.pid"
	declared "$name" "$key"
	note "declared with '$key'"
	expect_status 0 "the daemon is tracked while it runs" timeout 30 "$FAULTRUN" "$WORK/$name.yml" \
		--json "$WORK/$name.json" >"$WORK/out" 2>"$WORK/err"
	pid=$(cat "$WORK/$name.pid")
	check "its main process is the daemon (pid $pid)" json "$WORK/$name.json" \
		"[e['pid'] for e in s['target']['lifecycle'] if e['event'] == 'daemon'] == [$pid]"
	check "and it was stopped at the end" json "$WORK/$name.json" \
		"[e['event'] for e in s['target']['lifecycle']][-2:] == ['stop', 'exit']"
	check "the daemon is gone" wait_for 10 gone "$pid"
	check "the service's daemon is gone" wait_for 10 gone "$(cat "$WORK/$name-svc.pid")"
done

note "undeclared"
cat >"$WORK/undeclared.yml" <<YML
name: undeclared
target:
  command: [$DFORK, "$WORK/u.pid"]
duration: 1s
expect: [{exits: 0}]
YML
expect_status 3 "a daemon nobody declared is an error" timeout 30 "$FAULTRUN" "$WORK/undeclared.yml" \
	>"$WORK/out" 2>"$WORK/err"
check "which says what happened and how to declare it" contains "$WORK/out" \
	"the target's command exited 0 while processes it started keep running (pid $(cat "$WORK/u.pid") dfork): it daemonized; declare it with 'daemon: true' (or 'pidfile: PATH') in target"
check "and leaves nothing behind" wait_for 10 gone "$(cat "$WORK/u.pid")"

note "an orphan a probe leaves is not a service's daemon"
cat >"$WORK/probe-orphan.yml" <<YML
name: probe-orphan
services:
  once: {type: process, command: "sleep 1; exit 0"}
target: {command: [sleep, "30"]}
probes:
  # each sample leaves a setsid sleep behind, adopted by faultrun
  litter: {exec: "setsid sleep 30 </dev/null >/dev/null 2>&1 & true", interval: 200ms}
duration: 2s
expect:
  - exits: {service: once, min: 1}
YML
expect_status 0 "the run goes on when once exits 0" timeout 30 "$FAULTRUN" \
	"$WORK/probe-orphan.yml" >"$WORK/out" 2>"$WORK/err"
check "no daemon is pinned on once" not grep -q "it daemonized" "$WORK/out" "$WORK/err"

note "SIGKILL of faultrun with daemons running"
declared dkill "daemon: true" 60s
rm -f "$WORK/dkill.pid" "$WORK/dkill-svc.pid"
"$FAULTRUN" "$WORK/dkill.yml" >"$WORK/out" 2>"$WORK/err" &
frpid=$!
check "the run gets going" wait_for 20 grep -q "the timeline starts" "$WORK/err"
kill -KILL "$frpid"
wait "$frpid" 2>/dev/null
check "the target's daemon does not survive" wait_for 10 gone "$(cat "$WORK/dkill.pid")"
check "nor the service's" wait_for 10 gone "$(cat "$WORK/dkill-svc.pid")"

[ "$fails" = 0 ]
