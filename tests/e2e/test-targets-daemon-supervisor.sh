#!/bin/bash
# End-to-end test of scenarios/targets/daemon-supervisor (incident 000 as
# PM2 runs), without faultrun: it daemonizes (the command returns 0, the
# daemon is a double-forked orphan in its own session with no terminal, its
# pidfile names it), restarts its app when the app is killed, saves its
# state file, and differs buggy/fixed when the state file cannot be
# written: the state directory is made read-only (a read-only bind mount,
# EROFS, as root; chmod 555, EACCES, otherwise; its path turned into a
# directory, EISDIR, when root may not mount). faultrun's shim replays the
# incident's exact EACCES; this checks the target's own behaviour.
#
# env: TARGETS_DIR (build dir of scenarios/targets). Exit 77 without curl.
set -u
here=$(dirname "$0")
. "$here/test-targets-lib.sh"

: "${TARGETS_DIR:?}"
sup=$TARGETS_DIR/daemon-supervisor
appbin=$TARGETS_DIR/supervised-log
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit 77; }

run=$(mktemp -d /tmp/faultrun-test-daemonsup-XXXXXX)
mounted=()
cleanup() {
	local m f
	for m in "${mounted[@]}"; do
		umount "$m" 2>/dev/null
	done
	chmod -R u+w "$run" 2>/dev/null
	# the daemons and their apps (which outlive a killed daemon, like PM2's)
	for f in "$run"/*/sup.pid; do
		[ -f "$f" ] && track "$(cat "$f")"
	done
	for f in "$run"/*/app.pids; do
		[ -f "$f" ] && while read -r p; do track "$p"; done <"$f"
	done
	stop_tracked
	if [ "$fails" -gt 0 ]; then
		for f in "$run"/*/sup.log; do
			note "$f:"
			sed 's/^/#   /' "$f"
		done
	fi
	rm -rf "$run"
}
trap cleanup EXIT

app_pid() { curl -s -m 2 "$url/status" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }
# "[1-9]...": a restarted app that finds its port taken by another program
# exits and is restarted again; the count is what the test does not own
restarts_are() { curl -s -m 2 "$url/status" | grep -q "\"restarts\": $1,"; }
code_is() { [ "$(http_code "$url/" 2)" = "$1" ]; }
said() { grep -q -- "$1" "$dir/sup.log"; }
state_says() { grep -q -- "$1" "$dir/state/dump.pm2"; }
remember_app() { app_pid >>"$dir/app.pids"; }

# start VARIANT: sets dir, url, dpid
start() {
	local rc
	dir=$run/$1
	mkdir -p "$dir/state"
	port=$(free_port)
	url=http://127.0.0.1:$port
	timeout 20 "$sup" --variant "$1" --pidfile "$dir/sup.pid" \
		--state "$dir/state/dump.pm2" --log "$dir/sup.log" \
		--save-every 200 --restart-delay 100 -- \
		"$appbin" app --port "$port" --name web
	rc=$?
	check "$1: the command returns 0 once the daemon runs" [ $rc = 0 ]
	check "$1: the pidfile is written" [ -s "$dir/sup.pid" ]
	dpid=$(cat "$dir/sup.pid" 2>/dev/null)
	check "$1: the daemon named by the pidfile runs" alive "$dpid"
	check "$1: the app answers" wait_http "$url/" 10
	remember_app
}

# unwritable DIR / writable DIR: the state directory refuses writes, then not
unwritable() {
	if [ "$(id -u)" != 0 ]; then
		chmod 555 "$1"
		how="chmod 555 (EACCES)"
	elif mount --bind "$1" "$1" 2>/dev/null; then
		mounted+=("$1")
		if mount -o remount,bind,ro "$1" 2>/dev/null; then
			how="a read-only bind mount (EROFS)"
			return
		fi
		umount "$1"
		unset 'mounted[-1]'
		swap_dir "$1"
	else
		swap_dir "$1"
	fi
}
swap_dir() {
	mv "$1/dump.pm2" "$1/dump.pm2.saved"
	mkdir "$1/dump.pm2"
	how="the state file's path a directory (EISDIR)"
}
writable() {
	if [ -d "$1/dump.pm2" ]; then
		rmdir "$1/dump.pm2"
		mv "$1/dump.pm2.saved" "$1/dump.pm2"
	elif [ "$(id -u)" != 0 ]; then
		chmod 755 "$1"
	else
		umount "$1"
		unset 'mounted[-1]'
	fi
}

# ---- both variants: daemonized, pidfile, state, restart, stop --------------
for v in buggy fixed; do
	start "$v"
	ps -o ppid=,sid=,tty= -p "$dpid" >"$run/ps" 2>/dev/null
	read -r ppid sid tty <"$run/ps"
	check "$v: the daemon is not our child (ppid $ppid)" [ "$ppid" != $$ ]
	check "$v: in a session of its own" [ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	check "$v: not its session's leader (the second fork)" [ "$sid" != "$dpid" ]
	check "$v: no controlling terminal" [ "$tty" = "?" ]
	check "$v: its cwd is /" [ "$(readlink "/proc/$dpid/cwd")" = / ]
	check "$v: the state file lists the app online" \
		wait_for 5 state_says '"status": "online"'
	app1=$(app_pid)
	check "$v: the state file names the app's pid" state_says "\"pid\": $app1,"
	kill -KILL "$app1"
	check "$v: the app is restarted after SIGKILL" wait_for 10 restarts_are "[1-9][0-9]*"
	check "$v: a new app process" [ "$(app_pid)" != "$app1" ]
	remember_app
	check "$v: the state file counts the restart" wait_for 5 state_says '"restarts": [1-9]'
	check "$v: the daemon logged it" said "killed by signal 9"
	app2=$(app_pid)
	kill -TERM "$dpid"
	check "$v: the daemon stops on SIGTERM" wait_gone "$dpid" 10
	check "$v: the app stops with it" wait_gone "$app2" 5
	check "$v: the pidfile is removed" [ ! -e "$dir/sup.pid" ]
	mv "$dir" "$dir.1"
done

# ---- a bad start is reported by the command, not lost in the background ----
timeout 20 "$sup" --pidfile "$run/no/such/dir/sup.pid" --state "$run/x.state" -- true \
	2>"$run/bad.err"
check "a pidfile that cannot be written: exit 1" [ $? = 1 ]
check "... saying why" grep -q "cannot write the pidfile.*No such file" "$run/bad.err"

# ---- the incident: the state file cannot be saved ---------------------------
start buggy
app1=$(app_pid)
unwritable "$dir/state"
note "state directory made unwritable by $how"
check "buggy: the failed save is an uncaught error" wait_for 10 said "uncaught exception"
check "buggy: ... the resurrection fails" wait_for 10 said "resurrect failed"
check "buggy: the app is down" wait_for 10 code_is 000
check "buggy: the daemon itself still runs" alive "$dpid"
writable "$dir/state"
check "buggy: once the state saves again it says errored" \
	wait_for 10 state_says '"status": "errored"'
check "buggy: ... and the app is still down (never restarted)" code_is 000
kill -TERM "$dpid"
check "buggy: the daemon stops on SIGTERM" wait_gone "$dpid" 10

start fixed
app1=$(app_pid)
unwritable "$dir/state"
check "fixed: the failed save is reported" wait_for 10 said "cannot save state"
check "fixed: the app keeps answering" code_is 200
check "fixed: ... the same app process" [ "$(app_pid)" = "$app1" ]
kill -KILL "$app1"
check "fixed: a killed app is restarted while the state cannot be saved" \
	wait_for 10 restarts_are "[1-9][0-9]*"
remember_app
writable "$dir/state"
check "fixed: the state is saved again" wait_for 10 said "state saved to .* after [0-9]* failed attempts"
check "fixed: ... reported once, not at every attempt" \
	[ "$(grep -c "cannot save state" "$dir/sup.log")" = 1 ]
check "fixed: the state file lists the app online" wait_for 5 state_says '"status": "online"'
check "fixed: ... with its restart" state_says '"restarts": [1-9]'
kill -TERM "$dpid"
check "fixed: the daemon stops on SIGTERM" wait_gone "$dpid" 10

finish
