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
skip_unless python3
freeport() { python3 "$(dirname "$0")/../e2e/free-port.py"; }
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
# run NAME DEADLINE_MS [READER...]: the Go reader (or READER) under a paused
# stall on its server's port; armed once connected, the line sent, held until
# the read got EAGAIN
run() {
	local dir=$D/$1 ms=$2
	shift 2
	[ $# -gt 0 ] || set -- "$GO_READER"
	mkdir -p "$dir"
	port=$(freeport)
	server "$port" "$dir"
	S=$!
	until_true 10 [ -e "$dir/ready" ]
	"$FAULTRUN" exec --backend seccomp --paused --json "$dir/json" \
		-f "name=s recv stall port=$port" \
		-- "$@" "$port" "$ms" >"$dir/out" 2>"$dir/err" &
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

# --- a registration the kernel will not let faultrun modify: said, not silent.
# A python3 reader like go-reader (PORT DEADLINE_MS; "connected", then "got
# LINE after=MS" or "error timeout"), its socket added with EPOLLEXCLUSIVE,
# whose EPOLL_CTL_MOD is EINVAL (epoll_ctl(2)): not woken at the disarm, it
# ends at its own deadline, and faultrun says a wake failed.
cat >"$D/excl.py" <<'PY'
import select, socket, sys, time
port, ms = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
s.setblocking(False)
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET | select.EPOLLEXCLUSIVE)
print("connected", flush=True)
t0 = time.monotonic()
end = t0 + ms / 1000
while time.monotonic() < end:
    if not ep.poll(end - time.monotonic()):
        continue
    try:
        line = s.recv(100)
    except BlockingIOError:
        continue  # edge taken by the stalled read: wait for the next one
    print("got %s after=%d" % (line.decode().strip(), (time.monotonic() - t0) * 1000), flush=True)
    sys.exit(0)
print("error timeout", flush=True)
sys.exit(1)
PY
run excl 3000 python3 "$D/excl.py"
"$FAULTRUN" ctl --run "$P" disarm s >/dev/null
end_run excl
check "exclusive: not woken, the reader ends at its deadline" grep -q '^error timeout' "$D/excl/out"
check "exclusive: the summary says a wake failed" \
	grep -q 'stall: 1 epoll registrations could not be re-armed' "$D/excl/err"
check "exclusive: and why, on stderr" grep -q 'could not wake .*EPOLLEXCLUSIVE' "$D/excl/err"
check "exclusive: --json's limits count it" python3 -c '
import json, sys
sys.exit(json.load(open(sys.argv[1]))["scenarios"][0]["limits"]["stall_wakes_failed"] != 1)' "$D/excl/json"

[ -n "${GO_READER:-}" ] || { note "no go: the Go cases skip"; finish; }

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
