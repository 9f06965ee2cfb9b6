#!/bin/bash
# services: type: process beside the target. Three real services (two
# python3 http.server, one sleep without the shim) and a service that
# crashes: they start in depends-on order and stop in reverse; a fault
# `in: [a]` fires in a's processes only (b serves the same files, under
# the shim, untouched); `shim: false` keeps LD_PRELOAD out of a service;
# crashy crashes when the timeline tells it to (a crash timed by its own
# sleep raced a slow start under ASan);
# signal and restart act on the service they name; the crash is recorded
# and asserted on. b's availability is asserted before its restart only:
# how long python3 takes to come back is the machine's, not faultrun's
# (under ASan it took 600 ms). Then the loader's errors for depends-on.
. "$(dirname "$0")/test-run-lib.sh"

mkdir -p "$WORK/www"
echo hello >"$WORK/www/f.txt"
: >"$WORK/order"
cat >"$WORK/svc.yml" <<YML
name: services
services:
  b:
    type: process
    depends-on: a
    command: "env > $WORK/b.env; echo b >> $WORK/order; exec python3 -m http.server --bind 127.0.0.1 \${port.b} --directory $WORK/www"
    ready: {http: "http://127.0.0.1:\${port.b}/", deadline: 10s}
  a:
    type: process
    command: "echo a >> $WORK/order; exec python3 -m http.server --bind 127.0.0.1 \${port.a} --directory $WORK/www"
    ready: {http: "http://127.0.0.1:\${port.a}/", deadline: 10s}
  lb:
    type: process
    shim: false
    depends-on: [b]
    command: "env > $WORK/lb.env; echo lb >> $WORK/order; exec sleep 1000"
  crashy:
    type: process
    shim: false
    command: "echo crashy >> $WORK/order; trap 'exit 7' USR1; while :; do sleep 0.05; done"
target:
  command: "echo target >> $WORK/order; exec python3 -m http.server --bind 127.0.0.1 \${port.t} --directory $WORK/www"
  ready: {http: "http://127.0.0.1:\${port.t}/", deadline: 10s}
faults:
  a-eacces: {op: open, errno: EACCES, path: "$WORK/www/**", in: [a]}
probes:
  pa: {http: "http://127.0.0.1:\${port.a}/f.txt", interval: 100ms}
  pb: {http: "http://127.0.0.1:\${port.b}/f.txt", interval: 100ms}
  pt: {http: "http://127.0.0.1:\${port.t}/f.txt", interval: 100ms}
  lb-up: {target: alive, service: lb, interval: 100ms}
timeline:
  - {at: 300ms, inject: a-eacces}
  - {at: 1s, signal: {signal: KILL, service: lb}}
  - {at: 1200ms, restart: b}
  - {at: 1500ms, signal: {signal: USR1, service: crashy}}
duration: 2500ms
expect:
  - availability: {probe: pb, window: {from: 0s, to: 1s}, min: 100%}
  - availability: {probe: pt, min: 100%}
  - exits: {service: crashy, min: 1}
  - exits: {service: lb, min: 1}
  - exits: 0
YML

note "a run with four services"
expect_status 0 "the run passes" timeout 60 "$FAULTRUN" "$WORK/svc.yml" --json "$WORK/svc.json" \
	>"$WORK/out" 2>"$WORK/err"
check "a dependency is ready before its dependent starts" \
	test "$(head -2 "$WORK/order" | tr '\n' ' ')" = "a b "
check "start order: depends-on first, the target last" json "$WORK/svc.json" '(
	[n for t, n in sorted([(sv["lifecycle"][0]["t"], sv["name"]) for sv in s["services"]] +
		[(s["target"]["lifecycle"][0]["t"], "target")])] == ["a", "b", "lb", "crashy", "target"])'
check "each started once its dependencies were ready" json "$WORK/svc.json" '(
	[e["t"] for e in [x for x in s["services"] if x["name"] == "a"][0]["lifecycle"] if e["event"] == "ready"][0] <=
	[x for x in s["services"] if x["name"] == "b"][0]["lifecycle"][0]["t"])'

check "stop order: the target, then the services in reverse" json "$WORK/svc.json" '(
	[x[0] for x in sorted([(sv["name"], [e["t"] for e in sv["lifecycle"] if e["event"] == "stop"][-1])
		for sv in s["services"] if sv["name"] in ("a", "b")] + [("target",
		[e["t"] for e in s["target"]["lifecycle"] if e["event"] == "stop"][-1])],
		key=lambda x: x[1])] == ["target", "b", "a"])'
check "the fault fired, in a's block only" json "$WORK/svc.json" '(
	s["faults"][0]["in"] == ["a"] and s["faults"][0]["injected"] > 0 and
	len(s["injections"]["events"]) > 0 and
	all(e["service"] == "a" for e in s["injections"]["events"]))'
check "a's users saw it, b's and the target's did not" json "$WORK/svc.json" '(
	[p for p in s["probes"] if p["name"] == "pa"][0]["samples"] and
	any(not x["ok"] for x in [p for p in s["probes"] if p["name"] == "pa"][0]["samples"]))'
check "b runs under the shim, with its own block" grep -q "^FAULTRUN_CTL=.*/ctl\.b$" "$WORK/b.env"
check "b has the shim preloaded" grep -q "^LD_PRELOAD=.*libfaultshim" "$WORK/b.env"
check "shim: false: no LD_PRELOAD in lb" not grep -q "LD_PRELOAD=.*libfaultshim" "$WORK/lb.env"
check "signal: KILL reached lb, recorded as its exit" json "$WORK/svc.json" '(
	[e for e in [x for x in s["services"] if x["name"] == "lb"][0]["lifecycle"]
		if e["event"] == "exit" and e["signal"] == "SIGKILL" and not e["expected"]])'
check "restart: b started twice" json "$WORK/svc.json" '(
	[x for x in s["services"] if x["name"] == "b"][0]["starts"] == 2)'
check "the crash of crashy is in the journal" json "$WORK/svc.json" '(
	[e for e in [x for x in s["services"] if x["name"] == "crashy"][0]["lifecycle"]
		if e["event"] == "exit" and e["status"] == 7 and not e["expected"]])'
check "and in the table" contains "$WORK/out" "service crashy exited 1 time unexpectedly (last: status 7"
check "the assertions name the services" contains "$WORK/out" "service crashy exits"
check "every service's processes are gone" test -z "$(procs_with_cmd "$WORK/www")"

note "a fault in b, asserted never to fire, fails the run"
sed -e 's/in: \[a\]/in: [b]/' "$WORK/svc.yml" >"$WORK/svc-b.yml"
expect_status 1 "b's users see the fault now" timeout 60 "$FAULTRUN" "$WORK/svc-b.yml" \
	>"$WORK/out" 2>"$WORK/err"

note "a fault in a service that never fired says why from that service's processes"
cat >"$WORK/nf.yml" <<YML
name: nf
services:
  a: {type: process, command: "exec sleep 30"}
  b: {type: process, command: "exec sleep 30", shim: false}
faults:
  never: {op: write, errno: EIO, path: "/nonexistent/**", in: [a]}
  both: {op: write, errno: EIO, path: "/nonexistent/**", in: [a, target]}
target: {command: "exec sleep 30"}
timeline:
  - {at: 100ms, inject: never}
  - {at: 100ms, inject: both}
duration: 1s
expect: [{exits: 0}]
YML
expect_status 1 "the faults never fired" timeout 60 "$FAULTRUN" "$WORK/nf.yml" >"$WORK/out" 2>"$WORK/err"
check "in a: the shim's reach in a" grep -q \
	"fault never fired  *0 injections: the shim was in 1 process (sleep); no call met the rule" "$WORK/out"
check "in a and the target: each one's" contains "$WORK/out" \
	"0 injections: in a: the shim was in 1 process (sleep); no call met the rule; in target: the shim was in 1 process (sleep)"

note "the loader: depends-on, in, service"
head='name: bad
target: {command: [sleep, "1"]}
duration: 1s
expect: [{exits: 0}]'
bad "a cycle is an error at its line" "bad.yml:2:51: services depend on each other in a cycle" \
	"services:
  x: {type: process, command: [true], depends-on: y}
  y: {type: process, command: [true], depends-on: x}
$head"
bad "an unknown dependency" "bad.yml:2:55: service 'x' depends on 'z', which is not a service" \
	"services:
  x: {type: process, command: [true], depends-on: [y, z]}
  y: {type: process, command: [true]}
$head"
bad "in: an unknown service" "unknown service 'nope'" \
	"services:
  x: {type: process, command: [true]}
faults:
  f: {op: write, errno: EIO, in: [nope]}
$head"
bad "in: a service without the shim" "which runs without the shim" \
	"services:
  x: {type: process, command: [true], shim: false}
faults:
  f: write errno=EIO in=x
$head"
bad "a disk in two services" "fault 'd' is a disk in 2 services" \
	"services:
  x: {type: process, command: [true]}
faults:
  d: {disk: true, free: 1MiB, path: /tmp/x/**, in: [x, target]}
$head"

[ "$fails" = 0 ]
