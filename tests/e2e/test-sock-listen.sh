#!/bin/bash
# A poll loop under a socket rule that is not certain (probability=0: it
# matches every socket, so every poll takes the hold path) asks the kernel
# nothing per call: whether each socket listens was recorded by listen(),
# at connect/accept, or asked once when the shim first met it. python3
# polls a listening socket and a connected one 2000 times under strace;
# getsockopt (SO_ACCEPTCONN) must not be called per poll. The control run
# without the rule shows the program itself calls none. And the listening
# socket still reports its queued connection (probability=0 never holds).
. "$(dirname "$0")/test-exec-lib.sh"
skip_unless python3
skip_unless strace
cat >"$D/loop.py" <<'PY'
import select, socket
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(8)
c = socket.create_connection(l.getsockname())
a, _ = l.accept()
a.sendall(b"x")
p = select.poll()
p.register(l, select.POLLIN)
p.register(c, select.POLLIN)
ready = 0
for _ in range(2000):
    ready += len(p.poll(0))
c2 = socket.create_connection(l.getsockname())
print("ready", ready, "listener", dict(p.poll(1000)).get(l.fileno(), 0) & select.POLLIN)
PY
# getsockopt calls of the whole run (every process): strace -c's count column
calls() {
	awk '$NF == "getsockopt" { print $4; found = 1 } END { if (!found) print 0 }' "$D/strace"
}
traced() {
	local args=()
	while [ "$1" != "--" ]; do
		args+=(-f "$1")
		shift
	done
	shift
	strace -f -qq -c -e trace=getsockopt -o "$D/strace" \
		"$FAULTRUN" exec -q --may-not-fire "${args[@]}" -- "$@" >"$D/out" 2>"$D/err"
	rc=$?
}

traced "recv stall port=1" -- python3 "$D/loop.py"
check "control: the loop runs, the sockets are ready" out_has "ready 2000 listener 1"
n=$(calls)
note "control: $n getsockopt calls"
check "control: the program itself calls (almost) no getsockopt" [ "$n" -lt 20 ]

traced "recv stall probability=0" -- python3 "$D/loop.py"
check "probability=0: the loop runs, the sockets are ready" out_has "ready 2000 listener 1"
n=$(calls)
note "probability=0: $n getsockopt calls for 2000 polls of 2 sockets"
check "probability=0: no getsockopt per poll" [ "$n" -lt 20 ]
finish
