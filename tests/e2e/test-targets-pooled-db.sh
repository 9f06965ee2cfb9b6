#!/bin/bash
# End-to-end test of scenarios/targets/pooled-db (incident 001) against a
# real MariaDB started by harness/core/mariadb.c (test-mariadb --serve).
# Without faultrun: the faults are the target's own /leak endpoint, a
# SIGSTOPped database server (its sockets stall), and the target's libfiu
# points driven through libfiu's FIFO remote control.
#
# env: TARGETS_DIR (build dir of scenarios/targets), TEST_MARIADB (the
# test-mariadb binary). Exit 77 when mariadbd or curl is missing.
set -u
here=$(dirname "$0")
. "$here/test-targets-lib.sh"

: "${TARGETS_DIR:?}" "${TEST_MARIADB:?}"
pooled=$TARGETS_DIR/pooled-db
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit 77; }
[ -x /usr/sbin/mariadbd ] || [ -n "${FAULTRUN_MARIADBD:-}" ] ||
	{ echo "# SKIP: mariadbd missing"; exit 77; }

start_db faultrun-test-pooled

POOL=3
# start VARIANT [extra args...]: starts pooled-db, sets url and pid; the
# password in its environment ($PW_ENV if set), never on its command line
start() {
	local variant=$1
	shift
	port=$(free_port)
	url=http://127.0.0.1:$port
	DB_PASSWORD=${PW_ENV:-$DB_PASSWORD} FAULTRUN_FIU_FIFO=$run/fiu "$pooled" \
		--variant "$variant" --port "$port" \
		--pool $POOL --db-host "$DB_HOST" --db-port "$DB_PORT" \
		--db-user "$DB_USER" \
		--db-name "$DB_NAME" "$@" 2>>"$run/pooled-$variant.log" &
	pid=$!
	track "$pid"
	wait_http "$url/ping" 10 || fail "$variant: /ping answers"
}

# fiu PID COMMAND: libfiu's FIFO protocol (what fiu-ctrl does)
fiu() {
	local reply
	echo "$2" >"$run/fiu-$1.in" && read -r reply <"$run/fiu-$1.out" &&
		[ "$reply" = 0 ]
}

code_is() { [ "$(http_code "$1" "$2")" = "$3" ]; }

# ---- buggy: the incident ------------------------------------------------
start buggy
check "buggy: /health green before the leak" code_is "$url/health" 5 200
check "buggy: / answers" code_is "$url/" 5 200
for i in $(seq $((POOL - 1))); do
	check "buggy: /leak $i answers" code_is "$url/leak" 5 200
done
# the last leak takes the last connection, then waits forever for another
check "buggy: /leak $POOL hangs" code_is "$url/leak" 1 000
check "buggy: /health hangs once the pool is exhausted" code_is "$url/health" 1 000
check "buggy: / hangs" code_is "$url/" 1 000
check "buggy: /ping still answers 200 (curl localhost)" code_is "$url/ping" 5 200
check "buggy: the process is alive (nobody restarts it)" alive "$pid"
stop_tracked

# stalled database socket: no read timeout
start buggy
check "buggy: /health green" code_is "$url/health" 5 200
kill -STOP "$DB_PID"
check "buggy: /health hangs while the database is silent" code_is "$url/health" 1 000
kill -CONT "$DB_PID"
check "buggy: /health green after the stall" code_is "$url/health" 5 200
# the libfiu points, in-code replay
check "buggy: enable pool/acquire" fiu "$pid" "enable name=pool/acquire"
check "buggy: /health hangs on pool/acquire" code_is "$url/health" 1 000
check "buggy: disable pool/acquire" fiu "$pid" "disable name=pool/acquire"
check "buggy: enable pool/query" fiu "$pid" "enable name=pool/query"
check "buggy: /health hangs on pool/query" code_is "$url/health" 1 000
check "buggy: disable pool/query" fiu "$pid" "disable name=pool/query"
check "buggy: /health green again" code_is "$url/health" 5 200
stop_tracked
check "buggy: libfiu FIFOs removed on exit" test ! -e "$run/fiu-$pid.in"

# ---- fixed: the postmortem's fix ------------------------------------------
# (a generous exhaustion bound, so that the checks below fit in it)
start fixed --exhausted-exit 8000
for i in $(seq $((POOL - 1))); do
	check "fixed: /leak $i answers" code_is "$url/leak" 5 200
done
# the last leak takes the last connection, and its query cannot get one
check "fixed: /leak $POOL fails fast with 503" code_is "$url/leak" 5 503
check "fixed: /leak fails fast with 503 on an exhausted pool" code_is "$url/leak" 5 503
check "fixed: /health is red (503), not hung" code_is "$url/health" 5 503
check "fixed: / fails fast with 503" code_is "$url/" 5 503
check "fixed: /ping still answers" code_is "$url/ping" 5 200
check "fixed: the service exits when the pool stays exhausted" wait_gone "$pid" 20
wait "$pid"
status=$?
check "fixed: exit status 3 (let it crash), got $status" [ "$status" = 3 ]
grep -q "pool exhausted for" "$run/pooled-fixed.log" ||
	fail "fixed: the exit is explained on stderr"
# a restart (what its supervisor does) is healthy again: the server rolled
# back the leaked transactions when the connections closed. This time the
# password comes from the server's password file (it wins over the
# environment, wrong on purpose).
PW_ENV=wrong start fixed --db-password-file "$DB_PASSWORD_FILE"
check "fixed: healthy after a restart" code_is "$url/health" 5 200
check "fixed: / after a restart" code_is "$url/" 5 200
stop_tracked

# stalled database socket: read timeout, reconnect
start fixed --exhausted-exit 0
check "fixed: /health green" code_is "$url/health" 5 200
kill -STOP "$DB_PID"
check "fixed: /health red within its timeout while the database is silent" \
	code_is "$url/health" 8 503
check "fixed: / fails instead of hanging" code_is "$url/" 8 503
kill -CONT "$DB_PID"
check "fixed: /health green after the stall (connection reopened)" \
	wait_for 10 code_is "$url/health" 5 200
check "fixed: enable pool/acquire" fiu "$pid" "enable name=pool/acquire"
check "fixed: /health red on pool/acquire" code_is "$url/health" 5 503
check "fixed: disable pool/acquire" fiu "$pid" "disable name=pool/acquire"
check "fixed: enable pool/query" fiu "$pid" "enable name=pool/query"
check "fixed: /health red on pool/query" code_is "$url/health" 8 503
check "fixed: disable pool/query" fiu "$pid" "disable name=pool/query"
check "fixed: /health green again" wait_for 10 code_is "$url/health" 5 200
check "fixed: / green again" code_is "$url/" 5 200

finish
