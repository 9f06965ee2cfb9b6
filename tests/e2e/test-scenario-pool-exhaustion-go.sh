#!/bin/bash
# scenarios/pool-exhaustion-go.yml (incident 001 against the Go twin of
# pooled-db, a static binary the shim cannot reach) through faultrun's
# seccomp backend and an embedded MariaDB: the database connection resets
# for a second; the fixed pool closes and reopens (passes), the buggy one
# leaks a connection per failed query and then /health hangs (fails).
# Skips (77) without Go (no pooled-db-go built) or without mariadbd.
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb
[ -x "$FAULTRUN_TARGETS/go/pooled-db-go" ] || {
	echo "no $FAULTRUN_TARGETS/go/pooled-db-go (Go not installed): skipped"
	exit 77
}

N=5

run_scenario fixed pool-exhaustion-go.yml
passes fixed $N
ran_marked fixed 3 # faultrun, pooled-db-go, mariadbd
check "fixed: ran under the seccomp backend" \
	grep -q 'pooled-db-go under the seccomp backend' "$WORK/fixed.err"
check "fixed: JUnit: the resets were injected" \
	junit fixed pass "fault db-reset fired"

run_scenario buggy pool-exhaustion-go.yml --set variant=buggy
fails_on buggy $N
check "buggy: ran with variant=buggy" grep -qF "variant=buggy]" "$WORK/buggy.out"
check "buggy: JUnit: the resets were injected" junit buggy pass "fault db-reset fired"
# the incident: once its connections leaked, /health waits on the pool forever
check "buggy: table: /health hung (timed out)" \
	grep -qE '^  FAIL +/health always answers within 2s +max [0-9.]+s; [0-9]+ of [0-9]+ unanswered \(timed out\)' "$WORK/buggy.out"
check "buggy: JUnit: / hung after the resets" \
	junit buggy fail "/ answers within 2s after the resets" 'unanswered \(timed out\)'
check "buggy: JUnit: never green again" \
	junit buggy fail "/health is green again 2s after the resets"
check "buggy: JUnit: green before the resets" \
	junit buggy pass "/health is green before the resets"

finish
