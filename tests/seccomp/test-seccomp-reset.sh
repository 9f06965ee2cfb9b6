#!/bin/bash
# reset, refuse, blackhole (send, recv), slice= and close-after=DURATION
# under the seccomp backend
# (docs/seccomp.md, "Actions"),
# against python3 and curl with a python3 peer, each run under the preload
# too: the same outcome for the program (ECONNRESET, then end of file on a
# read and EPIPE on a write; ECONNREFUSED with nothing reaching the server)
# and for the peer, which must receive a real RST (ConnectionResetError),
# as the shim sends it (limit.c, shim_sock_reset).
# Needs FAULTRUN, FAULTRUN_SHIM.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3

# peer.py PORTFILE: accept one connection (10 s at most), send "hello",
# then read until the end: "peer got" for data, then how it ended
cat >"$D/peer.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(4)
s.settimeout(10)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
try:
    c, _ = s.accept()
except socket.timeout:
    print("peer no connection"); sys.exit(0)
c.settimeout(10)
import os, time
time.sleep(float(os.environ.get("PEER_DELAY", "0")))  # the client's recv waits first
c.sendall(b"hello")
got = b""
try:
    while True:
        d = c.recv(4096)
        if not d:
            print("peer end eof"); break
        got += d
except ConnectionResetError:
    print("peer end rst")
except socket.timeout:
    print("peer end timeout")
print("peer first", got.split(b" ")[0].decode(errors="replace") or "-")
PY
# client.py MODE PORT: one line per call, the errno's exception or the data.
# The reset rules fire once (times=1): the calls after show the socket's own
# state (under the seccomp backend a reset socket has no peer left for
# port= to match, docs/seccomp.md)
cat >"$D/client.py" <<'PY'
import socket, sys
mode, port = sys.argv[1], int(sys.argv[2])
def call(what, f):
    try:
        r = f()
        print(what, "eof" if r == b"" else "data" if isinstance(r, bytes) else "ok")
    except OSError as e:
        print(what, type(e).__name__)
def conn():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s
if mode in ("connect", "poke"):
    if mode == "connect":
        call("connect", conn)
    s = conn()  # times=1: the second one passes
    s.sendall(b"second")
    s.recv(5)  # closed with the hello unread, the socket would send a RST (tcp(7))
    s.close()
    sys.exit(0)
s = conn()
if mode == "bh-send":
    # non-blocking sends of 1000 bytes: swallowed up to SO_SNDBUF, then EAGAIN
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # the kernel doubles it: 8192
    s.setblocking(False)
    total = 0
    for _ in range(1000):
        try:
            total += s.send(b"y" * 1000)
        except BlockingIOError:
            break
    snd = s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    print("swallowed", total, "sndbuf", "equal" if total == snd else snd)
    # the peer's hello read: closed with it unread, the socket would send a
    # RST or a FIN depending on whether it had arrived (tcp(7))
    s.setblocking(True)
    s.recv(5)
    sys.exit(0)
if mode == "recv1":  # one recv, then close (the peer sees the end at once)
    call("recv", lambda: s.recv(100))
    sys.exit(0)
if mode == "slice-recv":  # the peer's hello in pieces: how big, and whole?
    s.settimeout(None)  # a blocking socket: recv waits in the call, not in poll
    got, sizes = b"", []
    while len(got) < 5:
        d = s.recv(100)
        if not d:
            break
        got += d
        sizes.append(len(d))
    # the sizes are drawn (each backend its own sequence): 5 bytes take 3 to 5
    print("recv", got.decode(), "pieces 3..5:", 3 <= len(sizes) <= 5, "at most 2:", max(sizes) <= 2)
    sys.exit(0)
if mode == "slice-send":  # 40 bytes sent by hand: each call takes at most a slice
    data, sent, calls, most = b"0123456789" * 4, 0, 0, 0
    while sent < len(data):
        n = s.send(data[sent:])
        sent, calls, most = sent + n, calls + 1, max(most, n)
    print("sent", sent, "calls > 4:", calls > 4, "at most 8:", most <= 8)
    s.shutdown(socket.SHUT_WR)
    s.recv(100)  # the hello, then the peer's end
    sys.exit(0)
if mode == "late":  # close-after=DURATION: the first call starts the clock
    import time
    s.settimeout(None)
    call("recv", lambda: s.recv(5))
    time.sleep(0.5)
    call("send-late", lambda: s.send(b"late"))
    call("recv-after", lambda: s.recv(100))
    sys.exit(0)
if mode == "bh-recv":
    s.settimeout(0.5)  # the peer's hello never arrives
    call("recv", lambda: s.recv(100))
    sys.exit(0)
if mode == "recv":
    call("recv", lambda: s.recv(100))
    call("recv-again", lambda: s.recv(100))
    call("send-after", lambda: s.send(b"x"))
else:
    import time
    time.sleep(0.2)  # the peer's hello has arrived: the RST must not depend on it
    call("send", lambda: s.send(b"ping"))
    call("recv-after", lambda: s.recv(100))
    call("send-after", lambda: s.send(b"x"))
PY

# one BACKEND SPEC -- CMD...: the peer, then CMD (PORT in it replaced) under
# the rule; the program's and the peer's lines in $D/BACKEND.out
one() {
	local be=$1 spec=$2 pf="$D/port.$1" pp rc
	shift 3
	rm -f "$pf"
	timeout 20 python3 "$D/peer.py" "$pf" >"$D/peer.$be" 2>&1 &
	pp=$!
	for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.05; done
	local port; port=$(cat "$pf" 2>/dev/null)
	local args=()
	for a in "$@"; do args+=("${a//PORT/$port}"); done
	timeout 30 "$FAULTRUN" exec --backend "$be" -f "${spec//PORT/$port}" -- "${args[@]}" \
		>"$D/$be.out" 2>"$D/err.$be"
	rc=$?
	wait "$pp"
	cat "$D/peer.$be" >>"$D/$be.out"
	echo "rc $rc" >>"$D/$be.out"
}
both() { # both NAME SPEC -- CMD...: under each backend at once; the outputs must be equal
	local name=$1 t0=$SECONDS
	shift
	# each its own peer and port: the two runs do not meet
	one preload "$@" &
	local bg=$!
	one seccomp "$@"
	wait "$bg"
	cp "$D/err.seccomp" "$D/err" # what err_has reads
	sed 's/^/#   /' "$D/seccomp.out"
	diff "$D/preload.out" "$D/seccomp.out" | sed 's/^/#   diff /'
	check "$name: the same outcome under both backends ($((SECONDS - t0)) s)" \
		cmp -s "$D/preload.out" "$D/seccomp.out"
}
has() { grep -qx -- "$1" "$D/seccomp.out"; }

both "recv reset" "name=r recv reset port=PORT times=1" -- python3 "$D/client.py" recv PORT
check "recv reset: ECONNRESET" has "recv ConnectionResetError"
check "recv reset: then end of file" has "recv-again eof"
check "recv reset: then EPIPE" has "send-after BrokenPipeError"
check "recv reset: the peer got a RST" has "peer end rst"
check "recv reset: counted" err_has "rule 'r' armed: matched 1, injected 1"

both "send reset" "send reset port=PORT times=1" -- python3 "$D/client.py" send PORT
check "send reset: ECONNRESET, nothing sent" has "send ConnectionResetError"
check "send reset: the peer got a RST and no data" sh -c "grep -qx 'peer end rst' '$D/seccomp.out' &&
	grep -qx 'peer first -' '$D/seccomp.out'"
check "send reset: then end of file, EPIPE" sh -c "grep -qx 'recv-after eof' '$D/seccomp.out' &&
	grep -qx 'send-after BrokenPipeError' '$D/seccomp.out'"

both "connect reset" "connect reset port=PORT times=1" -- python3 "$D/client.py" connect PORT
check "connect reset: ECONNRESET" has "connect ConnectionResetError"
check "connect reset: nothing reached the server before the second connect" has "peer first second"

both "connect refuse" "name=f connect refuse port=PORT times=1" -- \
	python3 "$D/client.py" connect PORT
check "refuse: ECONNREFUSED" has "connect ConnectionRefusedError"
check "refuse: nothing reached the server before the second connect" has "peer first second"
check "refuse: counted" err_has "rule 'f' armed: matched 2, injected 1"

# the selectors mean the same under both (harness/fault/select.h): host=
# (and an IPv4 rule against the peer), a host that is not the peer, lport=
both "host= selects" "name=h recv reset host=127.0.0.1 times=1" -- python3 "$D/client.py" recv1 PORT
check "host=: the peer's address selects it" has "recv ConnectionResetError"
both "another host= does not" "recv reset host=127.0.0.2 may-not-fire" -- python3 "$D/client.py" recv1 PORT
check "another host=: the call goes on" has "recv data"
both "lport= of the client does not" "recv reset lport=PORT may-not-fire" -- python3 "$D/client.py" recv1 PORT
check "lport=: the client's local port is not the server's" has "recv data"

# slice= (Toxiproxy's slicer): a recv that waits for its data is held by
# faultrun until the data is there, then cut (PEER_DELAY: the peer sends late)
PEER_DELAY=0.3 both "recv slice, waiting" "name=sl recv slice=1..2 port=PORT" -- \
	python3 "$D/client.py" slice-recv PORT
check "recv slice: hello in pieces of at most 2 bytes" \
	has "recv hello pieces 3..5: True at most 2: True"
both "recv delay= slice=" "recv delay=20ms slice=1..2 port=PORT" -- python3 "$D/client.py" slice-recv PORT
check "recv delay= slice=: each call waits, then moves a slice" \
	sh -c "grep -qx 'recv hello pieces 3..5: True at most 2: True' '$D/seccomp.out'"
both "send slice" "send slice=3..8 port=PORT" -- python3 "$D/client.py" slice-send PORT
check "send slice: every call cut, nothing lost" has "sent 40 calls > 4: True at most 8: True"
check "send slice: the peer got it whole" has "peer first 0123456789012345678901234567890123456789"

# close-after=DURATION (Toxiproxy's timeout): the first call past it ends the
# connection, with a RST (then=reset) or a FIN (then=close)
both "close-after=DURATION" "name=t send,recv close-after=300ms port=PORT" -- \
	python3 "$D/client.py" late PORT
check "close-after=300ms: ECONNRESET, then end of file; the peer got a RST" sh -c "
	grep -qx 'send-late ConnectionResetError' '$D/seccomp.out' &&
	grep -qx 'recv-after eof' '$D/seccomp.out' && grep -qx 'peer end rst' '$D/seccomp.out'"
check "close-after=300ms: one injection" err_has "rule 't' armed: matched 1, injected 1"
both "close-after=DURATION then=close" "send,recv close-after=300ms then=close port=PORT" -- \
	python3 "$D/client.py" late PORT
check "then=close: EPIPE, then end of file; the peer got a FIN" sh -c "
	grep -qx 'send-late BrokenPipeError' '$D/seccomp.out' &&
	grep -qx 'recv-after eof' '$D/seccomp.out' && grep -qx 'peer end eof' '$D/seccomp.out'"

both "send blackhole" "name=b send blackhole port=PORT" -- python3 "$D/client.py" bh-send PORT
check "send blackhole: full counts up to SO_SNDBUF, then EAGAIN" has "swallowed 8192 sndbuf equal"
check "send blackhole: nothing reached the peer" sh -c "grep -qx 'peer first -' '$D/seccomp.out' &&
	grep -qx 'peer end eof' '$D/seccomp.out'"
check "send blackhole: one injection (an episode)" err_has "rule 'b' armed: matched 1, injected 1"

both "recv blackhole" "recv blackhole port=PORT" -- python3 "$D/client.py" bh-recv PORT
check "recv blackhole: the peer's data never arrives (the timeout)" has "recv TimeoutError"

if have_curl; then
	both "curl, recv reset" "recv reset port=PORT" -- curl -sS -m 10 http://127.0.0.1:PORT/
	check "curl, recv reset: exit 56 (a receive failure)" has "rc 56"
	check "curl, recv reset: the peer got the request, then a RST" \
		sh -c "grep -qx 'peer first GET' '$D/seccomp.out' && grep -qx 'peer end rst' '$D/seccomp.out'"
	# then a connection of python3's, which the spent rule lets through, ends the peer
	both "curl, connect refuse" "connect refuse port=PORT times=1" -- sh -c \
		'curl -sS -m 10 http://127.0.0.1:PORT/; echo curl $?; exec python3 "$0" poke PORT' \
		"$D/client.py"
	check "curl, refuse: exit 7 (could not connect)" has "curl 7"
	check "curl, refuse: nothing reached the server" has "peer first second"
fi
finish
