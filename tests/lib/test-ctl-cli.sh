#!/bin/bash
# faultrun ctl's command line against a live run: options anywhere,
# add --paused, remove, --json (list: one document; events: JSON lines),
# events --follow (new events as they come; ends with the run, or at
# SIGINT), did-you-mean for an errno, and the two libfaultrun examples
# (tests/lib/ctl-example.c, tests/lib/ctl_example.py) on the same run.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
: "${CTL_EXAMPLE:?}" "${CTL_EXAMPLE_PY:?}" "${LIBFAULTRUN:?}"

valid_json() { python3 -m json.tool "$1" >/dev/null 2>&1; }
json_lines() { # every line of $1 is a JSON object, and there is one at least
	python3 -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines and all(isinstance(json.loads(l), dict) for l in lines)' "$1" 2>/dev/null
}
# wait_grep N PATTERN FILE: until FILE has more than N lines matching (10 s at most)
wait_grep() {
	for _ in $(seq 200); do [ "$(grep -c -- "$2" "$3" 2>/dev/null)" -gt "$1" ] && return 0; sleep 0.05; done
	return 1
}

mkdir -p "$D/c"
"$FAULTRUN" exec -q --paused --may-not-fire -f "name=disk write errno=ENOSPC path=$D/c/log" -- \
	bash -c "while [ ! -e '$D/c/stop' ]; do echo x >> '$D/c/log' 2>/dev/null && echo ok || echo fail; echo y >> '$D/c/log2' 2>/dev/null && echo ok2 || echo fail2; sleep 0.05; done" >"$D/c-out" &
P=$!
stop_run() {
	: >"$D/c/stop"
	for _ in $(seq 200); do kill -0 "$P" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$P" 2>/dev/null
	wait "$P" 2>/dev/null
}
trap 'stop_run; rm -rf "$D"' EXIT
wait_grep 0 ok "$D/c-out" || fail "the run started"

# --- options anywhere
"$FAULTRUN" ctl list --run "$P" >"$D/list"; rc=$?
check "ctl list --run P (option after the command)" sh -c "[ $rc = 0 ] && grep -q \"rule 'disk' disarmed\" '$D/list'"
"$FAULTRUN" ctl arm disk --run "$P" >"$D/o"; rc=$?
check "ctl arm NAME --run P" sh -c "[ $rc = 0 ] && grep -qx 'armed disk' '$D/o'"
wait_grep 0 fail "$D/c-out"
"$FAULTRUN" ctl disarm --run="$P" 'd*' >"$D/o"; rc=$?
check "ctl disarm --run=P GLOB" sh -c "[ $rc = 0 ] && grep -qx 'disarmed disk' '$D/o'"
"$FAULTRUN" ctl --run "$P" list --frobnicate 2>"$D/err"; rc=$?
check "ctl: an unknown option is exit 2" sh -c "[ $rc = 2 ] && grep -q \"unknown option '--frobnicate'\" '$D/err'"
"$FAULTRUN" ctl arm --run "$P" --follow disk 2>"$D/err"; rc=$?
check "ctl arm --follow: refused, exit 2" sh -c "[ $rc = 2 ] && grep -q 'does not apply' '$D/err'"

# --- add --paused, remove
"$FAULTRUN" ctl add --paused "name=late write errno=EIO path=$D/c/log2" --run "$P" >"$D/o"; rc=$?
check "ctl add --paused: exit 0" [ "$rc" = 0 ]
"$FAULTRUN" ctl --run "$P" list >"$D/list"
check "ctl add --paused: listed disarmed" grep -q "rule 'late' disarmed" "$D/list"
n=$(grep -c ok2 "$D/c-out"); wait_grep "$n" ok2 "$D/c-out"
check "ctl add --paused: the program's writes still pass" sh -c "! grep -q fail2 '$D/c-out'"
"$FAULTRUN" ctl arm late --run "$P" >/dev/null
check "ctl arm of the paused rule: the writes fail" wait_grep 0 fail2 "$D/c-out"
"$FAULTRUN" ctl remove late --run "$P" >"$D/o"; rc=$?
check "ctl remove NAME: exit 0" sh -c "[ $rc = 0 ] && grep -qx 'removed late' '$D/o'"
"$FAULTRUN" ctl --run "$P" list >"$D/list"
check "ctl remove: no longer listed" sh -c "! grep -q \"rule 'late'\" '$D/list'"
n=$(grep -c ok2 "$D/c-out")
check "ctl remove: the writes pass again" wait_grep "$n" ok2 "$D/c-out"
"$FAULTRUN" ctl remove late --run "$P" 2>"$D/err"; rc=$?
check "ctl remove of an unknown rule: exit 2" sh -c "[ $rc = 2 ] && grep -q \"no rule named 'late' (rules: disk)\" '$D/err'"

# --- did you mean
"$FAULTRUN" ctl add 'write errno=ENOSPEC' --run "$P" 2>"$D/err"; rc=$?
check "ctl add of a misspelt errno: exit 2, names the one meant" sh -c "[ $rc = 2 ] && grep -qx \"faultrun: ctl add 'write errno=ENOSPEC': 'errno=ENOSPEC': unknown errno 'ENOSPEC' (did you mean ENOSPC?)\" '$D/err'"

# --- --json
"$FAULTRUN" ctl list --json --run "$P" >"$D/list.json"; rc=$?
check "ctl list --json: one valid JSON document" sh -c "[ $rc = 0 ] && python3 -m json.tool '$D/list.json' >/dev/null"
check "ctl list --json: the rule with its counters" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["rules"] if x["name"] == "disk"][0]
assert r["armed"] is False and r["injected"] > 0 and "errno=ENOSPC" in r["spec"], d
assert [x["name"] for x in d["rules"]] == ["disk"] and d["run"].endswith("/ctl")' "$D/list.json"
"$FAULTRUN" ctl events --run "$P" --json >"$D/ev.json"; rc=$?
check "ctl events --json: JSON lines" sh -c "[ $rc = 0 ] && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' '$D/ev.json'"
check "ctl events --json: each line an event" json_lines "$D/ev.json"
check "ctl events --json: the injections of both rules" sh -c "grep -q '\"rule\": \"disk\", \"op\": \"write\", \"errno\": \"ENOSPC\"' '$D/ev.json' && grep -q '\"rule\": \"late\"' '$D/ev.json'"

# --- the examples: C (libfaultrun.so) arms, Python (ctypes) disarms
"$CTL_EXAMPLE" "$P" disk >"$D/o" 2>&1; rc=$?
check "C example: arms and lists" sh -c "[ $rc = 0 ] && grep -q '^disk armed matched=' '$D/o'"
n=$(grep -c fail "$D/c-out")
check "C example: the program meets the fault" wait_grep "$n" fail "$D/c-out"
# an ASan-built library cannot be loaded into a python3 that was not started
# with the ASan runtime first ("ASan runtime does not come first"): the
# plain pass runs the example; here ctl disarms instead
if ldd "$LIBFAULTRUN" 2>/dev/null | grep -q libasan; then
	note "libfaultrun is built with ASan: the ctypes example is left to the plain pass"
	"$FAULTRUN" ctl disarm disk --run "$P" >/dev/null
else
	LIBFAULTRUN=$LIBFAULTRUN python3 "$CTL_EXAMPLE_PY" "$P" disk >"$D/o" 2>&1; rc=$?
	check "Python example: disarms and lists" sh -c "[ $rc = 0 ] && grep -q '^disk disarmed matched=' '$D/o'"
fi
"$CTL_EXAMPLE" 999999999 disk >"$D/o" 2>&1; rc=$?
check "C example: a bad pid is an error" sh -c "[ $rc = 1 ] && grep -q 'No such process' '$D/o'"

# --- events --follow: SIGINT ends it
"$FAULTRUN" ctl events --follow --run "$P" >"$D/f1" 2>&1 &
F=$!
sleep 0.3
kill -INT "$F"
for _ in $(seq 200); do kill -0 "$F" 2>/dev/null || break; sleep 0.05; done
kill -0 "$F" 2>/dev/null && { kill -9 "$F"; fail "events --follow ends at SIGINT"; }
wait "$F"; rc=$?
check "events --follow: SIGINT ends it, exit 0" [ "$rc" = 0 ]

# --- events --follow --json: events that come after it started, then the end of the run
timeout 30 "$FAULTRUN" ctl --run "$P" events --follow --json >"$D/f2" 2>"$D/f2.err" &
F=$!
n=$(wc -l <"$D/ev.json")
wait_grep "$((n - 1))" rule "$D/f2"
"$FAULTRUN" ctl --run "$P" arm disk >/dev/null
check "events --follow: a new event arrives while it runs" wait_grep "$n" rule "$D/f2"
"$FAULTRUN" ctl --run "$P" disarm disk >/dev/null
stop_run
wait "$F"; rc=$?
check "events --follow: ends when the run ends (exit 0, not the timeout)" [ "$rc" = 0 ]
check "events --follow --json: JSON lines" json_lines "$D/f2"
finish
