#!/bin/bash
# The status assertion against a real HTTP server whose answers are a
# known mix: it cycles 502, 503, 200, 200, so half of a probe's answers
# are 502 or 503 whatever the number of samples, and a quarter 503.
. "$(dirname "$0")/test-run-lib.sh"

cat >"$WORK/mix.yml" <<YML
name: mix
target:
  command: [python3, "$CYCLESRV", "\${port.http}", --cycle, "502,503,200,200"]
  ready: {log: "listening on", deadline: 10s}
probes:
  front: {http: "http://127.0.0.1:\${port.http}/", interval: 50ms}
duration: 1500ms
expect:
  # a sample of the 4-cycle: between 4 and 8 of every 8 consecutive ones
  - status: {probe: front, codes: [502, 503], min: 40%, max: 60%}
  - status: {probe: front, codes: 5xx, max: 10%, name: few-5xx}
  - status: {probe: front, codes: [503, none], min: 15%, max: 35%}
YML

expect_status 1 "one of three status assertions fails" \
	"$FAULTRUN" "$WORK/mix.yml" --json "$WORK/mix.json" --junit "$WORK/mix.xml" \
	>"$WORK/out" 2>"$WORK/err"
check "journal: 502/503 held, near half" json "$WORK/mix.json" \
	'[a["ok"] for a in s["assertions"]] == [True, False, True] and s["assertions"][0]["kind"] == "status" and 0.4 <= s["assertions"][0]["value"] <= 0.6'
check "journal: the share of 5xx is measured and fails" json "$WORK/mix.json" \
	's["assertions"][1]["label"] == "few-5xx" and s["assertions"][1]["bound"] == "<= 10%" and s["assertions"][1]["value"] >= 0.4'
check "table: the label, measured share and bound" grep -qE \
	'^  ok    status 502, 503 of front over the whole run +[0-9.]+% \([0-9]+ of [0-9]+\) +40%\.\.60%$' "$WORK/out"
check "JUnit: the failure names the share" grep -qE \
	'<testcase classname="mix" name="few-5xx"[^>]*>' "$WORK/mix.xml"
check "JUnit: its message" grep -qE \
	'<failure type="status" message="measured [0-9.]+% \([0-9]+ of [0-9]+\), expected &lt;= 10%"' "$WORK/mix.xml"

finish
