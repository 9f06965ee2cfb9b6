#!/bin/bash
# services: type: haproxy. A real HAProxy in front of two python3
# http.server services: it starts after them and is ready once it sees both
# UP; users reach them through it; the timeline kills one (HAProxy takes it
# out: L4CON) and restarts it (back in after its checks), each change an
# "lb" event of the haproxy service in the journal; out-of-rotation
# {service, backend} measures it from HAProxy's view; at the end HAProxy is
# stopped with SIGUSR1 (exit 0, expected) and nothing is left running. Then
# a backend that never comes up (the run is an error naming it), and the
# loader's errors.
. "$(dirname "$0")/test-run-lib.sh"

command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || {
	echo "no haproxy (tools/install-deps installs it): skipped"
	exit 77
}
# the run directory (and HAProxy's command line, which names its file) under $WORK
mkdir -m 700 -p "$WORK/rt"
export XDG_RUNTIME_DIR="$WORK/rt"

mkdir -p "$WORK/www"
echo ok >"$WORK/www/health"
echo hello >"$WORK/www/f.txt"
cat >"$WORK/lb.yml" <<YML
name: lb
services:
  a:
    type: process
    shim: false
    command: "exec python3 -m http.server --bind 127.0.0.1 \${port.a} --directory $WORK/www"
  b:
    type: process
    shim: false
    command: "exec python3 -m http.server --bind 127.0.0.1 \${port.b} --directory $WORK/www"
  lb:
    type: haproxy
    port: \${port.lb}
    backends: [a, {service: b, port: "\${port.b}"}]
    check: {path: /health, interval: 200ms, timeout: 1s, rise: 2, fall: 2}
    no-backend-status: 502
    timeouts: {connect: 1s, server: 5s, client: 5s}
target:
  command: [sleep, "1000"]
  shim: false
probes:
  users: {http: "http://127.0.0.1:\${port.lb}/f.txt", interval: 100ms, timeout: 2s}
timeline:
  - {at: 500ms, signal: {signal: KILL, service: a}}
  - {at: 2500ms, restart: a}
duration: 5s
expect:
  - availability: {probe: users, window: {from: 0s, to: 500ms}, min: 100%}
  - out-of-rotation: {service: lb, backend: a, max: 10s}
  - out-of-rotation: {service: lb, backend: b, max: 0s}
  - exits: {service: lb, max: 0}
YML

note "HAProxy in front of two python3 services"
expect_status 0 "the run passes" timeout 60 "$FAULTRUN" "$WORK/lb.yml" --json "$WORK/lb.json" \
	>"$WORK/out" 2>"$WORK/err"
lbsvc='[x for x in s["services"] if x["name"] == "lb"][0]'
check "the journal: lb is a haproxy service with its backends" json "$WORK/lb.json" "(
	$lbsvc['type'] == 'haproxy' and $lbsvc['backends'] == ['a', 'b'])"
check "it started after its backends were ready, the target once it was ready" json "$WORK/lb.json" "(
	max(e['t'] for x in s['services'] if x['name'] != 'lb' for e in x['lifecycle'] if e['event'] == 'ready' and e['t'] <= 0)
	<= [e['t'] for e in $lbsvc['lifecycle'] if e['event'] == 'start'][0] and
	[e['t'] for e in $lbsvc['lifecycle'] if e['event'] == 'ready'][0] <=
	[e['t'] for e in s['target']['lifecycle'] if e['event'] == 'start'][0])"
check "HAProxy's view of a after t = 0: DOWN (L4CON) then UP" json "$WORK/lb.json" "(
	[(e['state'], e['before']) for e in $lbsvc['lifecycle'] if e['event'] == 'lb' and e['server'] == 'a' and e['t'] > 0]
	== [('DOWN', 'UP'), ('UP', 'DOWN')] and
	'L4CON' in [e['detail'] for e in $lbsvc['lifecycle'] if e['event'] == 'lb' and e['state'] == 'DOWN'][-1])"
check "b never left rotation" json "$WORK/lb.json" "(
	not [e for e in $lbsvc['lifecycle'] if e['event'] == 'lb' and e['server'] == 'b' and e['t'] > 0])"
check "out-of-rotation of a measured from HAProxy's view" json "$WORK/lb.json" "(
	[a for a in s['assertions'] if a['label'].startswith('a out of rotation in lb')][0]['value'] > 0.2)"
check "a progress line per change" sh -c "grep -q 'lb: a DOWN (Layer4 connection problem)' '$WORK/err' &&
	grep -q 'lb: a UP (Layer7 check passed)' '$WORK/err'"
check "HAProxy stopped with SIGUSR1, exit 0, expected" json "$WORK/lb.json" "(
	[(e['signal']) for e in $lbsvc['lifecycle'] if e['event'] == 'stop'] == ['SIGUSR1'] and
	[(e['status'], e['expected']) for e in $lbsvc['lifecycle'] if e['event'] == 'exit'] == [(0, True)])"
check "HAProxy stopped first, its backends after" json "$WORK/lb.json" "(
	[e['t'] for e in $lbsvc['lifecycle'] if e['event'] == 'exit'][0] <=
	min(e['t'] for x in s['services'] if x['name'] != 'lb' for e in x['lifecycle'] if e['event'] == 'stop'))"
check "nothing left running" test -z "$(procs_with_cmd "$WORK")"

note "a backend that never comes up: the run is an error naming it"
sed -e "s|command: \"exec python3 -m http.server --bind 127.0.0.1 \${port.b}|command: \"exec sleep 1000; \${port.b}|" \
	-e 's|rise: 2, fall: 2}|rise: 2, fall: 2}\n    ready-within: 2s|' "$WORK/lb.yml" >"$WORK/never.yml"
expect_status 3 "the run errs" timeout 60 "$FAULTRUN" "$WORK/never.yml" >"$WORK/out" 2>"$WORK/err"
check "it names the backend and its last check" grep -qE \
	"service 'lb' \(HAProxy\) was not ready within 2s: backend 'b' is DOWN \(last check: Layer4 connection problem \(L4CON\)\)" \
	"$WORK/out" "$WORK/err"
check "nothing left running" test -z "$(procs_with_cmd "$WORK")"

note "the loader"
head='name: bad
target: {command: [sleep, "1"]}
duration: 1s
expect: [{exits: 0}]'
svc='  x: {type: process, command: [true]}'
bad "an unknown key" "bad.yml:3:47: unknown key 'command' in service 'lb'" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x], command: [haproxy]}
$head"
bad "a backend that is not a service" "bad.yml:3:46: unknown service 'y'" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x, y]}
$head"
bad "a backend that is a database" "bad.yml:3:43: service 'db' is not a process faultrun runs" "services:
  db: {type: mariadb}
  lb: {type: haproxy, port: 1, backends: [db]}
$head"
bad "a backend named twice" "bad.yml:3:46: backend 'x' is named twice" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x, {service: x, port: 2}]}
$head"
bad "a bad status" "bad.yml:3:66: no-backend-status 500: 502" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x], no-backend-status: 500}
$head"
bad "a check path HAProxy would parse" "bad.yml:3:61: check path '/a b'" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x], check: {path: /a b}}
$head"
bad "shim: true" "HAProxy never runs under the shim" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x], shim: true}
$head"
bad "no port" "bad.yml:3:7: service 'lb' needs 'port'" "services:
$svc
  lb: {type: haproxy, backends: [x]}
$head"
bad "a fault in HAProxy" "fault 'f' is in 'lb', a haproxy service" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x]}
faults:
  f: write errno=EIO in=lb
$head"
bad "out-of-rotation: not a backend" "'y' is not a backend of 'lb'" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x]}
target: {command: [sleep, \"1\"]}
duration: 1s
expect: [{out-of-rotation: {service: lb, backend: y, max: 1s}}]
name: bad"
bad "out-of-rotation: not a haproxy service" "'x' is not a haproxy service" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [x]}
target: {command: [sleep, \"1\"]}
duration: 1s
expect: [{out-of-rotation: {service: x, backend: x, max: 1s}}]
name: bad"
bad "a port out of range" "expected a port from 1 to 65535" "services:
$svc
  lb: {type: haproxy, port: 1, backends: [{service: x, port: 70000}]}
$head"

finish
