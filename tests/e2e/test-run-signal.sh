#!/bin/bash
# SIGINT and SIGTERM stop a run: teardown runs (the target is stopped,
# nothing is left), and faultrun still reports what it measured: the
# table, the JUnit file (an error testcase, the assertions skipped, not
# failed) and the journal (verdict "interrupted", "at T s by SIGNAL"),
# with exit status 3.
. "$(dirname "$0")/test-run-lib.sh"

cat >"$WORK/long.yml" <<YML
name: long
target:
  command: [python3, "$LOGSRV", --port, "\${port.http}", --mode, fragile]
  env: {LOG_DIR: "\${run_dir}/logs", E2E_TAG: "signal-test-$$"}
  ready: {log: "listening on", deadline: 10s}
faults:
  log-full: "write errno=ENOSPC path=\${run_dir}/logs/**"
probes:
  home: {http: "http://127.0.0.1:\${port.http}/", interval: 100ms}
timeline:
  - {at: 500ms, inject: log-full}
duration: 60s
expect:
  - availability: {probe: home, min: 99%}
YML

for sig in INT TERM; do
	note "SIG$sig in the middle of the run"
	# the background job truncates err only once it runs: without this the
	# wait below could see the previous iteration's line and signal too early
	rm -f "$WORK/out" "$WORK/err"
	"$FAULTRUN" "$WORK/long.yml" --junit "$WORK/$sig.xml" --json "$WORK/$sig.json" \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	# the fault is in and the probe has seen it
	check "the run gets going" wait_for 20 grep -q "home: turned red" "$WORK/err"
	kill -"$sig" "$pid"
	wait "$pid"
	st=$?
	check "exit status 3 (got $st)" test "$st" = 3
	check "the table says INTERRUPTED, when and by what" grep -qE \
		"^long: INTERRUPTED \(interrupted at [0-9]+\.[0-9] s by SIG$sig\)" "$WORK/out"
	check "and what was measured, not judged" grep -qE '^  --    availability of home over the whole run +[0-9.]+% ' "$WORK/out"
	check "JUnit: an error testcase" grep -qE \
		"<error type=\"interrupted\" message=\"interrupted at [0-9.]+ s by SIG$sig\"/>" "$WORK/$sig.xml"
	check "JUnit: the assertion skipped, with its measured value" grep -qE \
		"<skipped message=\"not judged: interrupted at [0-9.]+ s by SIG$sig\"/>" "$WORK/$sig.xml"
	check "JUnit: no failures, one error, both assertions skipped" grep -qE \
		'<testsuite name="long" tests="3" failures="0" errors="1" skipped="2"' "$WORK/$sig.xml"
	check "journal: verdict interrupted, samples kept" json "$WORK/$sig.json" \
		's["verdict"] == "interrupted" and j["exit"] == 3 and len(s["probes"][0]["samples"]) >= 5 and s["faults"][0]["injected"] > 0'
	check "journal: the assertion measured, not judged, not counted as failed" json "$WORK/$sig.json" \
		's["assertions"][0]["judged"] is False and s["summary"]["failed"] == 0 and s["error"].startswith("interrupted at ")'
	check "journal: the target was stopped" json "$WORK/$sig.json" \
		'[e["event"] for e in s["target"]["lifecycle"]][-2:] == ["stop", "exit"]'
	left=$(procs_with_env "E2E_TAG=signal-test-$$")
	check "nothing of the run is left" test -z "$left"
	for p in $left; do note "left: $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null) $(grep State /proc/"$p"/status 2>/dev/null)"; done
done

note "SIGTERM before the target is ready"
cat >"$WORK/slow.yml" <<YML
name: slow-start
target:
  command: [sleep, "30.$$"]
  ready: {tcp: "127.0.0.1:\${port.never}", deadline: 30s}
duration: 5s
expect: [{exits: 0}]
YML
rm -f "$WORK/out" "$WORK/err"
"$FAULTRUN" "$WORK/slow.yml" --json "$WORK/slow.json" >"$WORK/out" 2>"$WORK/err" &
pid=$!
if wait_for 30 eval '[ -n "$(procs_with_cmd "sleep 30.$$")" ]'; then
	ok "the target starts"
else
	fail "the target starts"
	sed 's/^/#   faultrun said: /' "$WORK/err" "$WORK/out"
fi
kill -TERM "$pid"
wait "$pid"
st=$?
check "exit status 3 (got $st)" test "$st" = 3
check "journal: interrupted" json "$WORK/slow.json" 's["verdict"] == "interrupted"'
check "the target is gone" eval '[ -z "$(procs_with_cmd "sleep 30.$$")" ]'

finish
