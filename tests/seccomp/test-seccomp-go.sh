#!/bin/bash
# stall under the seccomp backend against a Go client (go-reader/): Go
# reads a non-blocking socket and parks on its edge-triggered epoll, so
# the EAGAIN of a stall leaves it waiting for an edge that already came.
# Checks that a disarm wakes it (faultrun re-arms its epoll registration,
# harness/seccomp/sec_wake.c): the line arrives before the program's own
# read deadline, after being held while armed; and that a stall never
# cleared ends with the program's deadline ("i/o timeout").
# Needs FAULTRUN, FAULTRUN_SHIM, GO_READER (empty: no Go, skip).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
[ -n "${GO_READER:-}" ] || { note "no go: skip"; exit 77; }
skip_unless python3
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# server PORT DIR: accepts one client, sends "hello" once DIR/send exists,
# keeps the connection until DIR/done exists (every wait bounded: 30 s)
server() {
	python3 -c '
import os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(1); s.settimeout(30)
open(d + "/ready", "w").close()
c, _ = s.accept()
def wait(f):
    end = time.time() + 30
    while not os.path.exists(d + "/" + f) and time.time() < end:
        time.sleep(0.02)
wait("send"); c.sendall(b"hello\n"); wait("done")
' "$1" "$2" &
}
# until_true SECONDS CMD...: retry CMD every 0.1 s, at most SECONDS
until_true() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
not_grep() { ! grep -q -- "$1" "$2"; }
injected() { "$FAULTRUN" ctl --run "$1" list 2>/dev/null | grep -q "rule 's' .*injected 1"; }
# run NAME DEADLINE_MS: the Go reader under a paused stall on its server's port;
# armed once connected, the line sent, held until the read got EAGAIN
run() {
	local dir=$D/$1
	mkdir -p "$dir"
	port=$(freeport)
	server "$port" "$dir"
	S=$!
	until_true 10 [ -e "$dir/ready" ]
	"$FAULTRUN" exec --backend seccomp --paused -f "name=s recv stall port=$port" \
		-- "$GO_READER" "$port" "$2" >"$dir/out" 2>"$dir/err" &
	P=$!
	until_true 10 grep -q connected "$dir/out"
	"$FAULTRUN" ctl --run "$P" arm s >/dev/null
	touch "$dir/send"
	until_true 10 injected "$P"
}
end_run() { # wait for faultrun (bounded), stop the server
	until_true 20 sh -c "! kill -0 $P 2>/dev/null"
	kill "$P" 2>/dev/null
	wait "$P"
	rc=$?
	touch "$D/$1/done"
	wait "$S"
	cp "$D/$1/err" "$D/err"
}

# --- cleared: the read resumes at the disarm, before its 5 s deadline
run clear 5000
sleep 1
check "clear: the read is held while armed" not_grep got "$D/clear/out"
"$FAULTRUN" ctl --run "$P" disarm s >/dev/null
end_run clear
check "clear: the line arrives after the disarm, before the read's deadline" \
	grep -q '^got hello after=' "$D/clear/out"
check "clear: it was held at least the second the rule was armed" \
	[ "$(sed -n 's/^got hello after=//p' "$D/clear/out")" -ge 1000 ]
check "clear: the program ended well" succeeded
check "clear: every registration woken" not_grep "could not wake" "$D/clear/err"

# --- never cleared: the program's own deadline ends the read
run stuck 2000
end_run stuck
check "stuck: the read ends with the program's deadline" grep -q '^error .*i/o timeout' "$D/stuck/out"
check "stuck: the program saw the error" failed
finish
