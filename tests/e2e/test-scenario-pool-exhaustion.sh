#!/bin/bash
# scenarios/pool-exhaustion.yml (incident 001) through faultrun against the
# pooled-db target and an embedded MariaDB: the fixed service passes (503s
# within its timeouts, then "let it crash" and a restart); the buggy one
# fails because /health hangs on the exhausted pool (the incident) and never
# comes back.
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb

N=6

run_scenario fixed pool-exhaustion.yml
passes fixed $N
ran_marked fixed 3 # faultrun, pooled-db, mariadbd
check "fixed: the service exited 3 (pool exhausted) and was restarted" \
	sh -c "grep -q 'pool exhausted for' '$WORK/fixed.xml' &&
	       grep -q 'the target exited (status 3)' '$WORK/fixed.err' &&
	       grep -q 'the target restarted' '$WORK/fixed.err'"
check "fixed: table: /health answered while the pool was exhausted" \
	grep -qE '^  ok +/health answers while the pool is exhausted +max [0-9.]+(ms|s) \(' "$WORK/fixed.out"

run_scenario buggy pool-exhaustion.yml --set variant=buggy
fails_on buggy $N
ran_marked buggy 3
check "buggy: ran with variant=buggy" grep -qF "variant=buggy]" "$WORK/buggy.out"
# the reason: the health check hung on SELECT 1 behind the exhausted pool
check "buggy: table: /health hung (timed out)" \
	grep -qE '^  FAIL +/health answers while the pool is exhausted +max [0-9.]+s; [0-9]+ of [0-9]+ unanswered \(timed out\)' "$WORK/buggy.out"
check "buggy: JUnit: /health failure with the measured value" \
	junit buggy fail "/health answers while the pool is exhausted" \
	'^measured max [0-9.]+s; [0-9]+ of [0-9]+ unanswered \(timed out\), expected <= 2s$'
check "buggy: JUnit: / hung too" \
	junit buggy fail "/ fails fast while the pool is exhausted" 'unanswered \(timed out\)'
check "buggy: JUnit: never healthy again" \
	junit buggy fail "/health is green again 8s after the leak" \
	'^measured 0\.00% \(0 of [0-9]+ ok\), expected >= 100%$'
# what made it confusing: the process was alive all along
check "buggy: JUnit: /ping answered throughout" \
	junit buggy pass "the process stays up (/ping)"
check "buggy: JUnit: green before the leak" \
	junit buggy pass "/health is green before the leak"
check "buggy: the service never exited" not_in buggy.err 'the target exited'

finish
