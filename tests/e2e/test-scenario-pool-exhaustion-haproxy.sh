#!/bin/bash
# scenarios/pool-exhaustion-haproxy.yml (incident 001 through a real
# HAProxy): pooled-db and an embedded MariaDB behind a `type: haproxy`
# service answering 502 with no backend in rotation. The fixed service is
# taken out of rotation (its /health answers 503), exits, is restarted and
# HAProxy puts it back: exit 0, the journal has HAProxy's DOWN then UP. The
# buggy one hangs /health: HAProxy takes it out for good and users get its
# 502 until the end: exit 1, naming HAProxy's view and the users' failures.
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || {
	echo "no haproxy (tools/install-deps installs it): skipped"
	exit 77
}

N=4
OUT="HAProxy had the backend out of rotation for at most 5s"
BACK="users are served through HAProxy again 9s after the leak"

# lb_events TAG: HAProxy's view of the target in the journal, "STATE/before ..."
lb_events() {
	python3 - "$WORK/$1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
lb = [x for x in s["services"] if x["name"] == "lb"][0]
assert lb["type"] == "haproxy" and lb["backends"] == ["target"], lb
print(" ".join(e["state"] for e in lb["lifecycle"]
               if e["event"] == "lb" and e["server"] == "target" and e["t"] > 0))
PY
}

# json_lb TAG: the journal's lb events have exactly their keys
json_lb() {
	python3 - "$WORK/$1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
lb = [x for x in s["services"] if x["name"] == "lb"][0]
ev = [e for e in lb["lifecycle"] if e["event"] == "lb"]
sys.exit(not ev or any(sorted(e) != ["before", "detail", "event", "server", "state", "t"]
                       for e in ev))
PY
}

# no_haproxy TAG: no haproxy of this run is left (its command line names the run dir)
no_haproxy() {
	! pgrep -f "haproxy .*$WORK/$1.rt" >/dev/null
}

run_scenario fixed pool-exhaustion-haproxy.yml --json "$WORK/fixed.json"
passes fixed $N
ran_marked fixed 4 # faultrun, pooled-db, mariadbd, haproxy
check "fixed: table: HAProxy's view held" table_line fixed ok "$OUT"
check "fixed: the service exited 3 (pool exhausted) and was restarted" \
	sh -c "grep -q 'the target exited (status 3)' '$WORK/fixed.err' &&
	       grep -q 'the target is ready again' '$WORK/fixed.err'"
check "fixed: progress: HAProxy took the target out, then back" \
	sh -c "grep -q 'lb: target DOWN (Layer7 wrong status)' '$WORK/fixed.err' &&
	       grep -q 'lb: target UP (Layer7 check passed)' '$WORK/fixed.err'"
check "fixed: journal: HAProxy's view after t = 0 is DOWN then UP" \
	test "$(lb_events fixed)" = "DOWN UP"
check "fixed: journal: an lb event has its shape" json_lb fixed
check "fixed: HAProxy stopped with SIGUSR1 and exited 0 (expected)" python3 - "$WORK/fixed.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
lb = [x for x in s["services"] if x["name"] == "lb"][0]
ev = lb["lifecycle"]
stop = [e for e in ev if e["event"] == "stop"]
ex = [e for e in ev if e["event"] == "exit"]
sys.exit(not (lb["exits"] == 0 and stop and stop[-1]["signal"] == "SIGUSR1" and
              ex and ex[-1]["status"] == 0 and ex[-1]["expected"]))
PY
check "fixed: no haproxy left" no_haproxy fixed

run_scenario buggy pool-exhaustion-haproxy.yml --set variant=buggy --json "$WORK/buggy.json"
fails_on buggy $N
check "buggy: ran with variant=buggy" grep -qF "variant=buggy]" "$WORK/buggy.out"
check "buggy: table: HAProxy kept the backend out too long" \
	grep -qE "^  FAIL +$OUT +[0-9.]+s \(taken out 1 time\)" "$WORK/buggy.out"
check "buggy: JUnit: HAProxy's view failed, with the measured value" \
	junit buggy fail "$OUT" '^measured [0-9.]+s \(taken out 1 time\), expected <= 5s$'
check "buggy: JUnit: users never served again" \
	junit buggy fail "$BACK" '^measured 0\.00% \(0 of [0-9]+ ok\), expected >= 99%$'
check "buggy: JUnit: served before the leak" junit buggy pass "users are served before the leak"
check "buggy: the users got HAProxy's 502 after the check timed out" python3 - "$WORK/buggy.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
lb = [x for x in s["services"] if x["name"] == "lb"][0]
down = [e["t"] for e in lb["lifecycle"] if e["event"] == "lb" and e["state"] == "DOWN"][-1]
users = [p for p in s["probes"] if p["name"] == "users"][0]["samples"]
after = [x for x in users if x["t"] > down + 0.5]
sys.exit(not after or any(x.get("status") != 502 for x in after))
PY
check "buggy: progress: the check timed out (hung /health)" \
	grep -q 'lb: target DOWN (Layer7 timeout)' "$WORK/buggy.err"
check "buggy: journal: HAProxy's view after t = 0 is DOWN, never UP" \
	test "$(lb_events buggy)" = "DOWN"
check "buggy: the service never exited" not_in buggy.err 'the target exited'
check "buggy: no haproxy left" no_haproxy buggy

finish
