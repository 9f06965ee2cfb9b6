#!/bin/bash
# End-to-end test of scenarios/targets/go (pooled-db-go, incident 001 in
# Go) against a real MariaDB started by harness/core/mariadb.c
# (test-mariadb --serve), without faultrun, as test-targets-pooled-db.sh
# tests the C service: the same endpoints and answers, the access log, and
# the pool under forced errors: queries that fail (the table dropped
# behind its back) and connections the server kills. The buggy pool loses
# a connection on every failed query and ends up hung; the fixed one gives
# each back and reopens the broken ones.
#
# env: GO_TARGET (the built pooled-db-go), TEST_MARIADB. Exit 77 when the
# Go target was not built (no Go toolchain), or mariadbd, the mariadb
# client or curl is missing.
set -u
here=$(dirname "$0")
. "$here/test-targets-lib.sh"

: "${GO_TARGET:?}" "${TEST_MARIADB:?}"
[ -x "$GO_TARGET" ] || { echo "# SKIP: $GO_TARGET not built (no Go toolchain)"; exit 77; }
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit 77; }
command -v mariadb >/dev/null || { echo "# SKIP: mariadb client missing"; exit 77; }
[ -x /usr/sbin/mariadbd ] || [ -n "${FAULTRUN_MARIADBD:-}" ] ||
	{ echo "# SKIP: mariadbd missing"; exit 77; }

start_db faultrun-test-go

POOL=3
# start VARIANT [extra args...]: starts pooled-db-go on the unix socket,
# logs in $run/logs-VARIANT; sets url, pid, logs
start() {
	local variant=$1
	shift
	port=$(free_port)
	url=http://127.0.0.1:$port
	logs=$run/logs-$variant
	DB_PASSWORD=$DB_PASSWORD FAULTRUN_FIU_FIFO=$run/fiu "$GO_TARGET" \
		--variant "$variant" --port "$port" --pool $POOL \
		--db-socket "$DB_SOCKET" --db-user "$DB_USER" --db-name "$DB_NAME" \
		--log-dir "$logs" "$@" 2>>"$run/go-$variant.log" &
	pid=$!
	track "$pid"
	wait_http "$url/ping" 10 || fail "$variant: /ping answers"
}

# admin SQL: what the database's owner does behind the service's back
admin() {
	MYSQL_PWD=$DB_ADMIN_PASSWORD mariadb --protocol=socket -S "$DB_SOCKET" \
		-u "$DB_ADMIN_USER" -N -B "$DB_NAME" -e "$1"
}
# kill_app_connections: the server ends every connection of the service
kill_app_connections() {
	local id
	for id in $(admin "SELECT id FROM information_schema.processlist WHERE user = '$DB_USER'"); do
		admin "KILL $id" || return 1
	done
}

body_is() { [ "$(curl -s -m "$2" "$1")" = "$3" ]; }
code_is() { [ "$(http_code "$1" "$2")" = "$3" ]; }
stat_is() { curl -s -m 5 "$url/stats" | grep -q "\"$1\": $2[,}]"; }
fiu() {
	local reply
	echo "$2" >"$run/fiu-$1.in" && read -r reply <"$run/fiu-$1.out" &&
		[ "$reply" = 0 ]
}

# ---- the endpoints, as pooled-db answers them ------------------------------
start buggy
check "/ping answers pong" body_is "$url/ping" 5 pong
check "/health answers ok (SELECT 1 through the pool)" body_is "$url/health" 5 ok
check "/ answers hits 1 (UPDATE + SELECT)" body_is "$url/" 5 "hits 1"
check "/ answers hits 2 from the database" body_is "$url/" 5 "hits 2"
check "the database has the row" [ "$(admin 'SELECT hits FROM items WHERE id = 1')" = 2 ]
check "/leak answers an order" body_is "$url/leak" 5 "order 1 (a connection leaked)"
check "/stats counts the leaked connection" stat_is leaked 1
check "/nope is 404" code_is "$url/nope" 5 404
check "the access log has a line per request" \
	grep -q "GET /health 200" "$logs/out.log"
check "the access log has the 404" grep -q "GET /nope 404" "$logs/out.log"
stop_tracked

# ---- buggy: failed queries leak their connections ------------------------
start buggy
check "buggy: /health green" code_is "$url/health" 5 200
admin "DROP TABLE items" || fail "drop table items"
for i in $(seq $POOL); do
	check "buggy: / fails ($i) with the table gone" code_is "$url/" 5 503
done
check "buggy: the error reason in err.log" grep -q "/: 503 .*items.* doesn't exist" "$logs/err.log"
check "buggy: every connection lost on the error path" stat_is lost_on_error $POOL
check "buggy: all $POOL connections in use with no request running" stat_is in_use $POOL
check "buggy: /health now hangs (the pool is drained)" code_is "$url/health" 1 000
check "buggy: /ping still answers" code_is "$url/ping" 5 200
stop_tracked

# a connection the server kills is lost too
start buggy
check "buggy: /health green (the table is made again)" code_is "$url/health" 5 200
check "buggy: kill the service's connection" kill_app_connections
check "buggy: /health fails on the killed connection" code_is "$url/health" 5 503
check "buggy: ... and keeps it" stat_is in_use 1
stop_tracked

# ---- fixed: every connection comes back ----------------------------------
start fixed --exhausted-exit 0 --db-timeout 1
check "fixed: /health green" code_is "$url/health" 5 200
admin "DROP TABLE items" || fail "drop table items"
for i in $(seq $((POOL + 1))); do
	check "fixed: / fails ($i) with the table gone" code_is "$url/" 5 503
done
check "fixed: no connection lost" stat_is lost_on_error 0
check "fixed: no connection in use" stat_is in_use 0
check "fixed: /health still green" code_is "$url/health" 5 200
check "fixed: kill the service's connections" kill_app_connections
check "fixed: /health fails once on the killed connection" code_is "$url/health" 5 503
check "fixed: /health green again (connection reopened)" code_is "$url/health" 5 200
check "fixed: the broken connection counted" stat_is broken 1
# a silent database: the read timeout (1 s) answers for it
kill -STOP "$DB_PID"
check "fixed: /health red, not hung, while the database is silent" \
	code_is "$url/health" 5 503
kill -CONT "$DB_PID"
check "fixed: /health green after the stall" wait_for 10 code_is "$url/health" 5 200
# the libfiu protocol's points
check "fixed: enable pool/acquire" fiu "$pid" "enable name=pool/acquire"
check "fixed: /health red on pool/acquire" code_is "$url/health" 5 503
check "fixed: disable pool/acquire" fiu "$pid" "disable name=pool/acquire"
check "fixed: /health green again" code_is "$url/health" 5 200
stop_tracked
check "fixed: FIFOs removed on exit" test ! -e "$run/fiu-$pid.in"

# ---- /leak: buggy hangs, fixed fails fast and exits 3 --------------------
start buggy
for i in $(seq $((POOL - 1))); do
	check "buggy: /leak $i answers" code_is "$url/leak" 5 200
done
check "buggy: /leak $POOL hangs" code_is "$url/leak" 1 000
check "buggy: /health hangs" code_is "$url/health" 1 000
stop_tracked
start fixed --exhausted-exit 1000 --acquire-timeout 300
for i in $(seq $((POOL - 1))); do
	check "fixed: /leak $i answers" code_is "$url/leak" 5 200
done
check "fixed: /leak $POOL fails fast with 503" code_is "$url/leak" 5 503
check "fixed: the service exits when the pool stays exhausted" wait_gone "$pid" 10
wait "$pid"
status=$?
check "fixed: exit status 3, got $status" [ "$status" = 3 ]
check "fixed: the exit explained" grep -q "pool exhausted for" "$run/go-fixed.log"

finish
