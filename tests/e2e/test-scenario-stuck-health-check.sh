#!/bin/bash
# scenarios/stuck-health-check.yml (incident 001) through faultrun against
# pooled-db and an embedded MariaDB: the shim stalls the service's reads
# from the database's unix socket for 5 s. Fixed passes (red within its
# timeouts, back after the stall); buggy fails because the health check
# and users' requests hang (the incident).
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb

N=7 # 6 written + fired db-silent (db-silent-tcp may not fire)
F=stuck-health-check.yml

run_scenario fixed $F
passes fixed $N
ran_marked fixed 3
check "fixed: table: the stall fired on the unix socket" \
	grep -qE '^  ok +fault db-silent fired +[1-9][0-9]* injections? ' "$WORK/fixed.out"
check "fixed: the target timed out on the silent database (its own 503 reason)" \
	grep -qiE '/health: 503 .*(lost connection|timeout|timed out|read)' "$WORK/fixed.xml"
check "fixed: the LB took the backend out and put it back" \
	sh -c "grep -q 'lb: backend out of rotation (HTTP 503)' '$WORK/fixed.err' &&
	       grep -qE '^  ok +lb out of rotation over the whole run +[0-9.]+(ms|s) \(taken out 1 time\)' '$WORK/fixed.out'"
check "fixed: JUnit: recovered after the stall" junit fixed pass "lb recovers after db-silent"

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
check "buggy: JUnit: the stall fired" junit buggy pass "fault db-silent fired"
check "buggy: JUnit: green before the stall" \
	junit buggy pass "/health is green before the stall"
check "buggy: the LB saw a timeout, not a 503" \
	grep -q 'lb: backend out of rotation (timeout after 3s)' "$WORK/buggy.err"

finish
