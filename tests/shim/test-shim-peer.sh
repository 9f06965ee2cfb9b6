#!/bin/bash
# A vanished peer (docs/faults.md "blackhole"): under recv blackhole nothing
# arrives though the server sent data (python3's settimeout ends the wait);
# under send blackhole the sends succeed up to the socket's SO_SNDBUF, then
# time out, and the server receives nothing; under connect blackhole the
# handshake never starts: python3's connect times out, a non-blocking
# connect stays unwritable with SO_ERROR 0, curl --connect-timeout gives up
# (28), and the listening server never accepts a connection. The server
# runs without the shim. Nothing here measures time: every wait is bounded
# by the client's own timeout, and "never accepted" is told by order (a
# later plain connection is the next one the server accepts).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3

SERVER_PID=
trap 'kill $SERVER_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

# The server: numbers its connections in accept order, greets each with
# "hello", reads until end of file and then writes "conn N got BYTES".
cat >"$D/server.py" <<'PY'
import os, socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
log = open(sys.argv[1] + ".log", "a", buffering=1)
def serve(c, n):
    got = 0
    try:
        c.sendall(b"hello")
        while True:
            d = c.recv(65536)
            if not d:
                break
            got += len(d)
    except OSError:
        pass
    log.write("conn %d got %d\n" % (n, got))
    c.close()
n = 0
while True:
    c, _ = s.accept()
    n += 1
    log.write("accepted %d\n" % n)
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY

# The client: recv (settimeout 1, one recv), send (settimeout 1, send()
# 64 KiB at a time up to 10 MiB, counting), connect (a connect with a 1 s
# timeout), nbconnect (non-blocking connect, select for writing 1 s).
cat >"$D/client.py" <<'PY'
import errno, select, socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
if mode == "connect":
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        print("connected")
    except socket.timeout:
        print("connect timeout")
    sys.exit(0)
if mode == "nbconnect":
    s = socket.socket()
    s.setblocking(False)
    print("connect_ex %s" % errno.errorcode.get(s.connect_ex(("127.0.0.1", port)), "0"))
    r, w, x = select.select([], [s], [], 1)
    print("writable %s so_error %d" % (bool(w), s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
    sys.exit(0)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.settimeout(1)
if mode == "recv":
    try:
        print("recv %r" % s.recv(100))
    except socket.timeout:
        print("recv timeout")
elif mode == "send":
    sent, chunk = 0, b"x" * 65536
    try:
        while sent < 10 << 20:
            sent += s.send(chunk)
        print("sent all %d" % sent)
    except socket.timeout:
        print("send timeout after %d sndbuf %d" %
              (sent, s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)))
s.close()
PY

env -u LD_PRELOAD -u FAULTRUN_CTL python3 "$D/server.py" "$D/port" &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -s "$D/port" ] && break
	sleep 0.05
done
read -r PORT <"$D/port" || { note "server did not start"; exit 1; }
OTHER=$((PORT == 65535 ? PORT - 1 : PORT + 1))

# wait_log PATTERN: the server's log has a line matching it (bounded: 10 s)
wait_log() {
	for _ in $(seq 200); do
		grep -q -- "$1" "$D/port.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
accepted() { grep -c '^accepted' "$D/port.log" 2>/dev/null || echo 0; }

# ---- recv blackhole -------------------------------------------------------------

fr_control "recv blackhole port=$OTHER" -- python3 "$D/client.py" "$PORT" recv
check "control: the greeting arrives" out_has "recv b'hello'"
fr "recv blackhole port=$PORT" -- python3 "$D/client.py" "$PORT" recv
check "recv blackhole: nothing arrives, settimeout(1) ends the recv" out_has "^recv timeout$"
check "recv blackhole: the server did send its greeting" wait_log "conn $(accepted) got 0"

# ---- send blackhole ---------------------------------------------------------------

# swallowed SENT SNDBUF: the client "sent" exactly its SO_SNDBUF, then timed out
swallowed() {
	read -r _ _ _ sent _ buf < <(grep '^send timeout' "$D/out") || return 1
	[ "$sent" -gt 0 ] && [ "$sent" = "$buf" ]
}
fr "send blackhole port=$PORT" -- python3 "$D/client.py" "$PORT" send
check "send blackhole: sends succeed up to SO_SNDBUF, then time out ($(cat "$D/out"))" swallowed
N=$(accepted)
check "send blackhole: the server received nothing" wait_log "conn $N got 0"

# ---- connect blackhole -------------------------------------------------------------

# next_is_plain: no connection reached the server since it had accepted $1:
# a plain connection now is the next one it accepts
next_is_plain() {
	env -u LD_PRELOAD python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()' "$PORT" &&
		wait_log "^accepted $(($1 + 1))\$" && ! grep -q "^accepted $(($1 + 2))\$" "$D/port.log"
}
N=$(accepted)
fr "connect blackhole port=$PORT" -- python3 "$D/client.py" "$PORT" connect
check "connect blackhole: a connect with a 1 s timeout times out" out_has "^connect timeout$"
fr "connect blackhole port=$PORT" -- python3 "$D/client.py" "$PORT" nbconnect
check "connect blackhole: a non-blocking connect says EINPROGRESS" out_has "^connect_ex EINPROGRESS$"
check "connect blackhole: never writable in select, SO_ERROR 0" out_has "^writable False so_error 0$"
if have_curl; then
	fr "connect blackhole port=$PORT" -- curl -sS --connect-timeout 1 -o /dev/null \
		"http://127.0.0.1:$PORT/"
	check "connect blackhole: curl --connect-timeout 1 gives up (exit 28, got $rc)" [ "$rc" = 28 ]
fi
check "connect blackhole: the server never accepted any of them" next_is_plain "$N"
fr_control "connect blackhole port=$OTHER" -- python3 "$D/client.py" "$PORT" connect
check "control: the connect succeeds" out_has "^connected$"

# ---- connect blackhole under epoll (asyncio) -------------------------------------
# The kernel reports a socket that never connected as EPOLLHUP whatever the
# mask: left in the set, it would wake every epoll_wait at once and the
# event loop would spin. The CPU the client used over a 3 s wait tells
# (a spinning loop uses most of the 3 s). Then the rule is disarmed while the
# client waits: the connect is made and the loop sees it.
cat >"$D/aio.py" <<'PY'
import asyncio, os, resource, sys
port, flag, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
async def main():
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), limit)
        print("connected", flush=True)
        w.close()
    except asyncio.TimeoutError:
        print("timeout", flush=True)
async def signal_waiting():
    await asyncio.sleep(0.5)
    open(flag, "w").close()
async def both():
    await asyncio.gather(main(), signal_waiting())
asyncio.run(both())
ru = resource.getrusage(resource.RUSAGE_SELF)
print("cpu_ms %d" % ((ru.ru_utime + ru.ru_stime) * 1000), flush=True)
PY
# cpu_below MS: the client's CPU time stayed under MS milliseconds
cpu_below() {
	local ms
	ms=$(sed -n 's/^cpu_ms //p' "$D/out")
	[ -n "$ms" ] && [ "$ms" -lt "$1" ]
}
N=$(accepted)
fr "connect blackhole port=$PORT" -- python3 "$D/aio.py" "$PORT" "$D/flag" 3
check "epoll: asyncio's connect waits out its own 3 s limit" out_has "^timeout$"
check "epoll: and the loop does not spin meanwhile (cpu $(sed -n 's/^cpu_ms //p' "$D/out") ms)" cpu_below 700
check "epoll: the server never accepted it" next_is_plain "$N"
rm -f "$D/flag"
"$FAULTRUN" exec -q -f "name=gone connect blackhole port=$PORT" -- \
	python3 "$D/aio.py" "$PORT" "$D/flag" 20 >"$D/out" 2>"$D/err" &
run=$!
for _ in $(seq 200); do
	[ -e "$D/flag" ] && break
	sleep 0.05
done
"$FAULTRUN" ctl --run "$run" disarm gone >/dev/null
wait "$run"
check "epoll: disarmed while waiting, the connect is made and seen" out_has "^connected$"

# ---- slow close --------------------------------------------------------------------
# slow-close=1s: the FIN reaches the peer at least 1 s after the program
# began to close (the shim can only make it later, so a lower bound is
# safe to check), and close() itself is what waits. The peer here is a
# server of its own that notes when it read the end of file.
cat >"$D/eof-server.py" <<'PY'
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
while c.recv(4096):
    pass
with open(sys.argv[2], "w") as f:
    f.write("eof %.6f\n" % time.time())
PY
cat >"$D/closer.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"bye")
t0 = time.time()
s.close()
print("closing %.6f closed %.6f" % (t0, time.time()), flush=True)
PY
rm -f "$D/eport" "$D/eof"
env -u LD_PRELOAD -u FAULTRUN_CTL python3 "$D/eof-server.py" "$D/eport" "$D/eof" &
EOF_PID=$!
for _ in $(seq 100); do
	[ -s "$D/eport" ] && break
	sleep 0.05
done
read -r EPORT <"$D/eport"
fr "name=slow send,recv slow-close=1s port=$EPORT" -- python3 "$D/closer.py" "$EPORT"
for _ in $(seq 200); do
	[ -s "$D/eof" ] && break
	sleep 0.05
done
kill "$EOF_PID" 2>/dev/null # it ends by itself at the end of file
wait "$EOF_PID" 2>/dev/null
read -r _ closing _ closed < <(cat "$D/out")
read -r _ eof <"$D/eof" 2>/dev/null
check "slow-close: the rule fired (faultrun exit $rc)" succeeded
check "slow-close: close() waited the second ($closing -> $closed)" \
	awk -v a="$closing" -v b="$closed" 'BEGIN { exit !(a != "" && b - a >= 0.95) }'
check "slow-close: the peer read the end of file no sooner ($closing -> $eof)" \
	awk -v a="$closing" -v b="$eof" 'BEGIN { exit !(a != "" && b != "" && b - a >= 0.95) }'

finish
