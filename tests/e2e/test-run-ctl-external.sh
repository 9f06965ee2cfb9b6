#!/bin/bash
# A `faultrun ctl` arm, disarm or add during a scenario run, made from
# outside (here: this test), is noticed by the runner and journaled as a
# "ctl-external" event of the target, with the rule and the change (a
# removed rule too, and the rules added after it); the runner's own
# inject/clear is not; the HTML page draws it on the target's lane
# (checked in Chromium when it is installed). A run in which the shim went
# past one of its limits (more files written at once than a disk rule's
# block can follow) journals a "shim-limit" event and warns.
. "$(dirname "$0")/test-run-lib.sh"

cat >"$WORK/ext.yml" <<YML
name: ext
target:
  command: [python3, "$CYCLESRV", "\${port.http}", --note, "$WORK/rundir", "\${run_dir}"]
  ready: {log: "listening on", deadline: 10s}
faults:
  f: "read errno=EIO path=/nonexistent/**"
  g: {op: read, errno: EIO, path: "/nonexistent/**", may-not-fire: true}
probes:
  front: {http: "http://127.0.0.1:\${port.http}/", interval: 100ms}
timeline:
  - {at: 200ms, inject: g}
  - {at: 400ms, clear: g}
duration: 3500ms
expect:
  - status: {probe: front, codes: 2xx, min: 90%}
YML

"$FAULTRUN" "$WORK/ext.yml" --json "$WORK/ext.json" --html "$WORK/ext.html" \
	>"$WORK/out" 2>"$WORK/err" &
pid=$!
check "the run starts" wait_for 20 grep -q "the timeline starts" "$WORK/err"
dir=$(cat "$WORK/rundir")
# each change apart from the next by more than the runner's 100 ms look
check "ctl arm f" "$FAULTRUN" ctl --run "$dir" arm f
check "the runner saw it" wait_for 5 grep -q "f armed by faultrun ctl" "$WORK/err"
check "ctl disarm f" "$FAULTRUN" ctl --run "$dir" disarm f
check "the runner saw that" wait_for 5 grep -q "f disarmed by faultrun ctl" "$WORK/err"
check "ctl add" "$FAULTRUN" ctl --run "$dir" add "name=extra read errno=EIO path=/nonexistent/**"
check "the runner saw the add" wait_for 5 grep -q "extra added armed by faultrun ctl" "$WORK/err"
check "ctl remove extra" "$FAULTRUN" ctl --run "$dir" remove extra
check "the runner saw the removal" wait_for 5 grep -q "extra removed by faultrun ctl" "$WORK/err"
check "ctl add after a removal" "$FAULTRUN" ctl --run "$dir" add --paused "name=late read errno=EIO path=/nonexistent/**"
wait "$pid"
check "the run passes (exit $?)" test $? = 0
check "journal: the three changes, in order, as the target's events" json "$WORK/ext.json" \
	'[(e["rule"], e["change"]) for e in s["target"]["lifecycle"] if e["event"] == "ctl-external"] == [("f", "armed"), ("f", "disarmed"), ("extra", "added armed"), ("extra", "removed"), ("late", "added")]'
check "journal: the timeline's own inject and clear of g are not among them" json "$WORK/ext.json" \
	'not [e for e in s["target"]["lifecycle"] if e.get("rule") == "g"] and [t["action"] for t in s["timeline"]] == ["inject", "clear"]'
check "the page embeds them" grep -q '"event": "ctl-external"' "$WORK/ext.html"

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
	prof=$(mktemp -d)
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --user-data-dir="$prof" --window-size=1280,1000 \
		--virtual-time-budget=10000 --dump-dom "file://$WORK/ext.html" \
		>"$WORK/ext.dom" 2>/dev/null
	rm -rf "$prof"
	check "HTML: the target's lane draws each change" \
		test "$(grep -o 'data-event="ctl-external"' "$WORK/ext.dom" | wc -l)" = 5
	check "HTML: with the rule's name" grep -q 'data-rule="extra"' "$WORK/ext.dom"
else
	note "no chromium: the drawing is not checked"
fi

# past a limit of the shim: a disk rule follows FR_CTL_FILES (4096) files
# at once; the target writes to 4200 it keeps open
cat >"$WORK/many.py" <<'PY'
import os, sys, time
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
print("ready", flush=True)
time.sleep(0.4)  # the disk rule goes in at 200 ms
fds = [os.open("%s/%d" % (d, i), os.O_WRONLY | os.O_CREAT, 0o600) for i in range(4200)]
for fd in fds:
    os.write(fd, b"x")
print("wrote", len(fds), flush=True)
time.sleep(30)
PY
cat >"$WORK/lim.yml" <<YML
name: lim
target:
  command: [sh, -c, "ulimit -n 8192 && exec python3 $WORK/many.py \${run_dir}/d"]
  ready: {log: "ready", deadline: 10s}
faults:
  small: "disk free=64MiB path=\${run_dir}/d/** may-not-fire"
timeline:
  - {at: 200ms, inject: small}
duration: 6s
expect:
  - restarts: {max: 0}
YML
"$FAULTRUN" "$WORK/lim.yml" --json "$WORK/lim.json" >"$WORK/lim.out" 2>"$WORK/lim.err"
st=$?
check "the run over the limit still passes its assertion (exit $st)" test "$st" = 0
check "it warned of the shim's limit" grep -q "warning: .* disk writes not charged" "$WORK/lim.err"
check "journal: a shim-limit event naming it" json "$WORK/lim.json" \
	'[e for e in s["target"]["lifecycle"] if e["event"] == "shim-limit" and "disk writes not charged" in e["detail"] and int(e["detail"].split()[0]) >= 100]'

finish
