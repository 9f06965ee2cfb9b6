#!/bin/bash
# scenarios/db-network.yml through faultrun against pooled-db and an
# embedded MariaDB: the database's replies first come late, jittered and
# sliced into 1..64-byte reads (the service must not notice), then the
# database host vanishes for 5 s (send,recv blackhole: no FIN, no RST).
# Fixed passes (its own timeouts keep it red-not-hung; back after);
# buggy fails because /health and / hang while the host is gone.
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb

N=9 # 7 written + fired db-slow and db-gone
F=db-network.yml

run_scenario fixed $F
passes fixed $N
ran_marked fixed 3
check "fixed: table: the slow and sliced replies fired" \
	grep -qE '^  ok +fault db-slow fired +[1-9][0-9]* injections? ' "$WORK/fixed.out"
check "fixed: table: and /health stayed green through them" \
	table_line fixed ok '/health stays green while replies are slow and sliced'
check "fixed: table: the host's silence fired" \
	grep -qE '^  ok +fault db-gone fired +[1-9][0-9]* injections? ' "$WORK/fixed.out"
check "fixed: JUnit: recovered after the silence" junit fixed pass "lb recovers after db-gone"

run_scenario buggy $F --set variant=buggy
fails_on buggy $N
check "buggy: slow and sliced replies did not fail it" \
	junit buggy pass "/ is served while replies are slow and sliced"
check "buggy: JUnit: /health hung while the host was gone" \
	junit buggy fail "/health answers while the database host is gone" 'unanswered \(timed out\)'
check "buggy: JUnit: / hung too" \
	junit buggy fail "/ fails fast while the database host is gone" 'unanswered \(timed out\)'

finish
