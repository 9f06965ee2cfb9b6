#!/bin/bash
# A probe whose target hangs does not hold up the end of the run: the
# sample in flight at the end is cancelled, not waited for. The target is
# python3 -m http.server whose recv stalls; the probe's timeout (3 s) is
# longer than what is left of the run. A hang bound, not a timing
# assertion: faultrun's wall time stays within the journal's setup +
# duration + 1.5 s (it took + 3 s when the sample was waited for).
. "$(dirname "$0")/test-run-lib.sh"

cat >"$WORK/hung.yml" <<YML
name: hung
target:
  command: [python3, -m, http.server, --bind, 127.0.0.1, "\${port.http}"]
  ready: {http: "http://127.0.0.1:\${port.http}/", deadline: 10s}
faults:
  st: "recv stall"
probes:
  home: {http: "http://127.0.0.1:\${port.http}/", interval: 200ms, timeout: 3s}
timeline:
  - {at: 500ms, inject: st}
duration: 1500ms
expect: [{fired: st}]
YML
t0=$(date +%s.%N)
expect_status 0 "the run ends" timeout 60 "$FAULTRUN" "$WORK/hung.yml" --json "$WORK/hung.json" \
	>"$WORK/out" 2>"$WORK/err"
t1=$(date +%s.%N)
note "wall $(echo "$t1 - $t0" | bc)s"
check "within setup + duration + 1.5 s" json "$WORK/hung.json" \
	"$t1 - $t0 <= s['setup'] + s['duration'] + 1.5"
[ "$fails" = 0 ]
