# Helpers shared by tests/e2e/test-targets-*.sh (sourced, not run).
# Every wait has a deadline; nothing here sleeps for a fixed time to let
# something happen.

fails=0
pids=()

note() { printf '# %s\n' "$*"; }
ok() { printf 'ok - %s\n' "$*"; }
fail() { printf 'not ok - %s\n' "$*"; fails=$((fails + 1)); }
check() { # check "what" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# not command...: succeeds when the command fails (for check)
not() { ! "$@"; }

# Remember a process we started, so that cleanup stops it (by pid only).
track() { pids+=("$1"); }

stop_tracked() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait_gone "$p" 10 || kill -KILL "$p" 2>/dev/null
	done
	pids=()
}

alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# wait_gone PID SECONDS
wait_gone() {
	local end=$((SECONDS + $2))
	while alive "$1"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

# start_db TEMPLATE: a real MariaDB in a new directory (harness/core/mariadb.c,
# $TEST_MARIADB --serve), its settings (DB_PORT, DB_SOCKET, DB_USER, ...)
# sourced from its db.env; sets run (the directory) and db_pid, and an EXIT
# trap that stops what the test tracked, the database (resumed first if the
# test left it stopped: DB_PID) and removes run.
start_db() {
	run=$(mktemp -d "/tmp/$1-XXXXXX")
	db_pid=
	trap stop_db EXIT
	"$TEST_MARIADB" --serve "$run" &
	db_pid=$!
	wait_for 60 test -f "$run/db.env" || { echo "# database did not start"; exit 1; }
	. "$run/db.env"
	note "mariadb up in ${DB_START_SECONDS}s on port $DB_PORT"
}
stop_db() {
	stop_tracked
	if [ -n "$db_pid" ]; then
		[ -n "${DB_PID:-}" ] && kill -CONT "$DB_PID" 2>/dev/null
		kill -TERM "$db_pid" 2>/dev/null
		wait "$db_pid" 2>/dev/null
	fi
	rm -rf "$run"
}

FREE_PORT_PY=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)/free-port.py
# free_port: a port nothing listens on, outside the ephemeral range (free-port.py)
free_port() { python3 "$FREE_PORT_PY"; }

# http_code URL MAX_SECONDS -> prints the status, 000 when it timed out or
# the connection failed.
http_code() {
	curl -s -o /dev/null -m "$2" -w '%{http_code}' "$1" 2>/dev/null
	return 0
}

# wait_http URL SECONDS: until it answers 200.
wait_http() {
	local end=$((SECONDS + $2))
	while [ "$(http_code "$1" 2)" != 200 ]; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

# wait_for SECONDS command...: until the command succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

finish() {
	stop_tracked
	if [ "$fails" -gt 0 ]; then
		note "$fails check(s) failed"
		return 1
	fi
	note "all checks passed"
	return 0
}
