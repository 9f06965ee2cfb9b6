#!/bin/bash
# scenarios/stuck-health-check-libfiu.yml (incident 001, in-code replay)
# through faultrun against pooled-db and an embedded MariaDB: the libfiu
# point pool/query, switched on and off through the target's FIFO remote
# control by timeline `run` steps, silences the database for 5 s. Fixed
# passes (red within its timeouts, back after); buggy fails because the
# health check hangs (the incident).
# -Dexamples=false builds no targets (and needs no libfiu)
[ -x "${FAULTRUN_TARGETS:-}/pooled-db" ] || {
	echo "no pooled-db in '${FAULTRUN_TARGETS:-}' (built with -Dexamples=false?): skipped"
	exit 77
}
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb

N=6
F=stuck-health-check-libfiu.yml

run_scenario fixed $F
passes fixed $N
ran_marked fixed 3
check "fixed: the libfiu point fired (the target's own 503 reason)" \
	grep -q 'Lost connection to server during query (libfiu pool/query)' "$WORK/fixed.xml"
check "fixed: the LB took the backend out and put it back" \
	sh -c "grep -q 'lb: backend out of rotation (HTTP 503)' '$WORK/fixed.err' &&
	       grep -qE '^  ok +lb out of rotation over the whole run +[0-9.]+(ms|s) \(taken out 1 time\)' '$WORK/fixed.out'"

run_scenario buggy $F --set variant=buggy
fails_on buggy $N
ran_marked buggy 3
check "buggy: table: /health hung (timed out)" \
	grep -qE '^  FAIL +/health answers while the database is silent +max [0-9.]+s; [0-9]+ of [0-9]+ unanswered \(timed out\)' "$WORK/buggy.out"
check "buggy: JUnit: /health failure with the measured value" \
	junit buggy fail "/health answers while the database is silent" \
	'^measured max [0-9.]+s; [0-9]+ of [0-9]+ unanswered \(timed out\), expected <= 3s$'
check "buggy: JUnit: / hung too" \
	junit buggy fail "/ fails fast while the database is silent" 'unanswered \(timed out\)'
check "buggy: JUnit: out-of-rotation measured" \
	junit buggy pass "lb out of rotation over the whole run"
check "buggy: JUnit: green before the stall" \
	junit buggy pass "/health is green before the stall"

finish
