#!/bin/bash
# End-to-end test of scenarios/targets/supervised-log (incident 000),
# without faultrun: the disk really fills up (a 64 KiB tmpfs, when this test
# may mount one), and the state file cannot be opened for writing because
# its path is a directory (EISDIR standing in for the incident's EACCES,
# which root cannot get from file modes). faultrun's shim replays the exact
# errnos; this checks the targets' own behaviour.
#
# env: TARGETS_DIR (build dir of scenarios/targets). Exit 77 without curl.
set -u
here=$(dirname "$0")
. "$here/test-targets-lib.sh"

: "${TARGETS_DIR:?}"
sup=$TARGETS_DIR/supervised-log
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit 77; }

run=$(mktemp -d /tmp/faultrun-test-suplog-XXXXXX)
mounted=()
cleanup() {
	local m
	stop_tracked
	for m in "${mounted[@]}"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "$run"
}
trap cleanup EXIT

# start NAME VARIANT LOGDIR STATE: sets url, pid, errlog
start() {
	port=$(free_port)
	url=http://127.0.0.1:$port
	errlog=$run/$1.stderr
	"$sup" --variant "$2" --port "$port" --log-dir "$3" --state "$4" \
		--restart-delay 100 2>"$errlog" &
	pid=$!
	track "$pid"
	wait_http "$url/" 10 || fail "$1: the app answers"
}

code_is() { [ "$(http_code "$1" "$2")" = "$3" ]; }
app_pid() { curl -s -m 2 "$url/status" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }
restarts_are() { curl -s -m 2 "$url/status" | grep -q "\"restarts\": $1,"; }
said() { grep -q -- "$2" "$1"; }

# ---- both variants: normal service, logging, restart, clean stop ----------
for v in buggy fixed; do
	mkdir -p "$run/$v/logs"
	start "$v" "$v" "$run/$v/logs" "$run/$v/dump.state"
	check "$v: / answers 200" code_is "$url/" 5 200
	check "$v: requests are logged to out.log" \
		wait_for 5 grep -q "GET / 200" "$run/$v/logs/out.log"
	check "$v: the state file lists the app online" \
		grep -q '"status": "online"' "$run/$v/dump.state"
	app1=$(app_pid)
	code_is "$url/crash" 2 000
	check "$v: the app is restarted after it dies" wait_for 10 restarts_are 1
	check "$v: a new app process" [ "$(app_pid)" != "$app1" ]
	check "$v: the app's stderr is in err.log" \
		grep -q "crashing on request" "$run/$v/logs/err.log"
	check "$v: the state file counts the restart" \
		wait_for 5 grep -q '"restarts": 1' "$run/$v/dump.state"
	app2=$(app_pid)
	kill -TERM "$pid"
	check "$v: the supervisor stops on SIGTERM" wait_gone "$pid" 10
	wait "$pid"
	check "$v: ... with status 0" [ $? = 0 ]
	check "$v: the app stops with it" wait_gone "$app2" 5
	pids=()
done

# ---- the incident: a full log disk, an unwritable state file --------------
# tinyfs NAME: a 64 KiB tmpfs, or nothing when we may not mount
tinyfs() {
	mkdir -p "$run/$1"
	mount -t tmpfs -o size=64k faultrun-test "$run/$1" 2>/dev/null || return 1
	mounted+=("$run/$1")
}
fill() { dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; true; }

# requests_until CODE N: send up to N requests until one gets CODE
requests_until() {
	local i
	for i in $(seq "$2"); do
		[ "$(http_code "$url/" 2)" = "$1" ] && return 0
	done
	return 1
}

if ! tinyfs probe; then
	note "SKIP the disk-full part: cannot mount a tmpfs here"
	finish
	exit
fi

# buggy: the postmortem, step by step
tinyfs buggy-full
mkdir "$run/buggy-state.d"	# open(O_WRONLY) fails: EISDIR
start buggy-full buggy "$run/buggy-full" "$run/buggy-state.d"
fill "$run/buggy-full"
check "buggy: the site goes down once the log disk is full" requests_until 000 400
check "buggy: the supervisor calls the failed write fatal" \
	said "$errlog" "Callback was already called"
check "buggy: ... and its resurrection fails on the state file" \
	wait_for 5 said "$errlog" "is not restarted"
check "buggy: the app stays down" not wait_http "$url/" 2
check "buggy: the supervisor itself still runs" alive "$pid"
rm -f "$run/buggy-full/filler"
check "buggy: still down after space returns (needs a human)" not wait_http "$url/" 2
stop_tracked

# buggy with a writable state file: the resurrection brings the app back
tinyfs buggy-resurrect
start buggy-resurrect buggy "$run/buggy-resurrect" "$run/buggy-resurrect.state"
fill "$run/buggy-resurrect"
check "buggy: a failed write kills the app" requests_until 000 400
check "buggy: ... and the resurrection restarts it" \
	wait_for 5 said "$errlog" "resurrecting app"
rm -f "$run/buggy-resurrect/filler"
check "buggy: up again after the resurrection" wait_http "$url/" 10
stop_tracked

# fixed: keeps serving, drops the output, resumes; retries the state file
tinyfs fixed-full
mkdir "$run/fixed-state.d"
start fixed-full fixed "$run/fixed-full" "$run/fixed-state.d"
fill "$run/fixed-full"
check "fixed: the site keeps answering with a full log disk" \
	not requests_until 000 400
check "fixed: the failed write is reported" \
	said "$errlog" "dropping the app's output"
check "fixed: the failed state save is reported" \
	said "$errlog" "cannot save state"
rm -f "$run/fixed-full/filler"
code_is "$url/?after-the-fault" 5 200
check "fixed: logging resumes when space returns" \
	wait_for 5 said "$errlog" "writing to .* again"
check "fixed: new lines reach out.log" \
	wait_for 5 grep -q "GET / 200" "$run/fixed-full/out.log"
rmdir "$run/fixed-state.d"
check "fixed: the state file is saved once it can be" \
	wait_for 5 said "$errlog" "state saved to"
check "fixed: the state file lists the app online" \
	grep -q '"status": "online"' "$run/fixed-state.d"
check "fixed: the app never restarted" restarts_are 0

finish
