#!/bin/bash
# close-after= and per=connection (docs/faults.md "Closing a connection"),
# seen by real programs: a python3 client reading 1 MiB gets exactly the
# limit, then ECONNRESET (then=reset) or end of file (then=close), and the
# server sees the difference (a reset, or a clean end of file); curl
# downloading from python3 -m http.server fails with its partial-file or
# receive-failure exit and keeps exactly the limit; close-after=DURATION
# ends a slow stream early; per=connection affects whole connections,
# chosen the same way in two runs with the same seed. Counts and exit
# codes only: nothing here measures time. The servers run without the
# shim: they are the kernel's peers.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3

SERVER_PID= HTTP_PID=
trap 'kill $SERVER_PID $HTTP_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

# The peer. "B": 1 MiB in one sendall, then it reads, and logs how the
# connection ended for it; "S": a byte every 100 ms, up to 200, logging
# how far it got; "C": 1 MiB sent from a thread while it reads, logging
# how the connection ended for it; "E": "hello" and close.
cat >"$D/server.py" <<'PY'
import os, socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
log = open(sys.argv[1] + ".log", "a", buffering=1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    try:
        cmd = c.recv(1)
        c.settimeout(30)
        if cmd == b"B":
            try:
                c.sendall(b"x" * (1 << 20))
                log.write("bulk: sent all, then recv %r\n" % c.recv(1))
            except OSError as e:
                log.write("bulk: %s\n" % type(e).__name__)
        elif cmd == b"S":
            n = 0
            try:
                for n in range(1, 201):
                    c.sendall(b"y")
                    time.sleep(0.1)
                log.write("slow: sent 200\n")
            except OSError as e:
                log.write("slow: %s\n" % type(e).__name__)
        elif cmd == b"C":
            # then=close: how the client's side ends, read while 1 MiB is
            # being sent (a thread): whether the sendall finishes depends
            # on how far the kernel grew the buffers, not on the rule
            def push():
                try:
                    c.sendall(b"x" * (1 << 20))
                except OSError:
                    pass
            threading.Thread(target=push, daemon=True).start()
            try:
                log.write("close: recv %r\n" % c.recv(1))
            except OSError as e:
                log.write("close: %s\n" % type(e).__name__)
        elif cmd == b"E":
            c.sendall(b"hello")
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

# "bulk"/"slow": read until end of file, an error or (bulk) the whole
# 1 MiB, print what came and how it ended. "conns N": N connections one after another, each reading
# "hello" a byte per recv(); a letter per connection: I intact (5 bytes
# and end of file), A affected on its first recv, P affected later.
cat >"$D/client.py" <<'PY'
import errno, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))
if mode == "conns":
    out = ""
    for _ in range(int(sys.argv[3])):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"E")
        got, calls = b"", 0
        try:
            while True:
                calls += 1
                d = s.recv(1)
                if not d:
                    break
                got += d
            out += "I" if got == b"hello" else "?"
        except OSError:
            out += "A" if calls == 1 else "P"
        s.close()
    print("conns " + out)
    sys.exit(0)
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall({"bulk": b"B", "close": b"C"}.get(mode, b"S"))
got = 0
try:
    while True:
        d = s.recv(16 if mode == "slow" else 65536)
        if not d:
            print("got %d then eof" % got, flush=True)
            # keep the socket until the server has said how its side ended
            # (or 10 s): exiting with unread data makes the kernel send a
            # RST (tcp(7)), which the server may read before the FIN
            if len(sys.argv) > 3:
                for _ in range(200):
                    log = open(sys.argv[3]).read()
                    if "bulk:" in log or "slow:" in log or "close:" in log:
                        break
                    time.sleep(0.05)
            break
        got += len(d)
        if got == 1 << 20:
            print("got %d, all of it" % got)
            break
except OSError as e:
    print("got %d then %s" % (got, name(e)))
PY

env -u LD_PRELOAD -u FAULTRUN_CTL python3 "$D/server.py" "$D/port" &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -s "$D/port" ] && break
	sleep 0.05
done
read -r PORT <"$D/port" || { note "server did not start"; exit 1; }
: >"$D/port.log"

# server_said WHAT: the server's log gains a line matching WHAT (bounded wait)
server_said() {
	for _ in $(seq 100); do
		grep -q -- "$1" "$D/port.log" && return 0
		sleep 0.05
	done
	return 1
}

no_reset_logged() { ! grep -q ConnectionResetError "$D/port.log"; }

# ---- close-after=SIZE ---------------------------------------------------------

fr_control "recv close-after=64KiB port=$((PORT + 1))" -- python3 "$D/client.py" "$PORT" bulk
check "control: the whole 1 MiB arrives" out_has "^got 1048576, all of it$"
fr "recv close-after=64KiB port=$PORT" -- python3 "$D/client.py" "$PORT" bulk
check "close-after=64KiB: exactly 65536 bytes, then ECONNRESET" out_has "^got 65536 then ECONNRESET$"
check "close-after=64KiB: the server's send sees the reset" server_said "^bulk: ConnectionResetError$"
: >"$D/port.log"
fr "recv close-after=64KiB then=close port=$PORT" -- python3 "$D/client.py" "$PORT" close "$D/port.log"
check "then=close: exactly 65536 bytes, then end of file" out_has "^got 65536 then eof$"
check "then=close: the server sees a clean end of file, no reset" \
	server_said "^close: recv b''$"
check "then=close: the server saw no reset" no_reset_logged

# ---- close-after=DURATION ------------------------------------------------------

# a byte every 100 ms for 20 s; the rule ends it after 1 s
: >"$D/port.log"
fr "recv close-after=1s port=$PORT" -- python3 "$D/client.py" "$PORT" slow
check "close-after=1s: fewer bytes than the server sends, then ECONNRESET ($(cat "$D/out"))" \
	grep -Eq "^got ([0-9]|[0-9][0-9]|1[0-9][0-9]) then ECONNRESET$" "$D/out"
check "close-after=1s: the server's send sees the reset" server_said "^slow: ConnectionResetError$"
: >"$D/port.log"
fr "recv close-after=1s then=close port=$PORT" -- python3 "$D/client.py" "$PORT" slow
check "close-after=1s then=close: fewer bytes, then end of file ($(cat "$D/out"))" \
	grep -Eq "^got ([0-9]|[0-9][0-9]|1[0-9][0-9]) then eof$" "$D/out"
check "close-after=1s then=close: the server's send sees a closed pipe" \
	server_said "^slow: BrokenPipeError$"

# ---- curl against python3 -m http.server ---------------------------------------------

if have_curl; then
	mkdir "$D/www"
	head -c 300000 /dev/urandom >"$D/www/blob"
	(cd "$D/www" && exec env -u LD_PRELOAD -u FAULTRUN_CTL python3 -u -m http.server 0 \
		--bind 127.0.0.1 >"$D/http.log" 2>&1) &
	HTTP_PID=$!
	for _ in $(seq 100); do
		grep -q "port" "$D/http.log" 2>/dev/null && break
		sleep 0.05
	done
	HP=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$D/http.log" | head -1)
	# the bytes curl received: its headers (-D, as received) and the body
	received() { echo $(($(stat -c %s "$D/hdr") + $(stat -c %s "$D/got"))); }
	for how in reset close; do
		rm -f "$D/hdr" "$D/got"
		fr "recv close-after=64KiB then=$how port=$HP" -- curl -sS --max-time 30 \
			-D "$D/hdr" -o "$D/got" "http://127.0.0.1:$HP/blob"
		want=56 # CURLE_RECV_ERROR: "Connection reset by peer"
		[ "$how" = close ] && want=18 # CURLE_PARTIAL_FILE: the server "closed" early
		check "curl, then=$how: exit $want (got $rc)" [ "$rc" -eq "$want" ]
		check "curl, then=$how: received exactly 65536 bytes, headers included ($(received))" \
			[ "$(received)" -eq 65536 ]
	done
fi

# ---- per=connection --------------------------------------------------------------

# affected COUNT-LOW COUNT-HIGH: how many connections were affected, in range
letters() { sed -n 's/^conns //p' "$D/out"; }
count_of() { letters | tr -cd "$1" | wc -c; }
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

fr "recv errno=ECONNRESET probability=0.3 seed=7 per=connection port=$PORT" -- \
	python3 "$D/client.py" "$PORT" conns 200
A1=$(letters)
check "per=connection: no connection affected on a later call only ($(count_of P))" \
	[ "$(count_of P)" -eq 0 ]
check "per=connection: every connection failed at once or was intact" \
	[ $(($(count_of A) + $(count_of I))) -eq 200 ]
check "per=connection: 30 to 90 of 200 affected ($(count_of A))" in_range "$(count_of A)" 30 90
fr "recv errno=ECONNRESET probability=0.3 seed=7 per=connection port=$PORT" -- \
	python3 "$D/client.py" "$PORT" conns 200
check "per=connection: the same seed affects the same connections again" [ "$(letters)" = "$A1" ]
fr "recv errno=ECONNRESET probability=0.3 seed=8 per=connection port=$PORT" -- \
	python3 "$D/client.py" "$PORT" conns 200
check "per=connection: another seed, other connections" [ "$(letters)" != "$A1" ]
# per call, the same probability strikes connections halfway through
fr "recv errno=ECONNRESET probability=0.3 port=$PORT" -- python3 "$D/client.py" "$PORT" conns 200
check "per call (control): some connections fail on a later call ($(count_of P))" \
	[ "$(count_of P)" -gt 0 ]
# after= skips connections, times= bounds them
fr "recv errno=ECONNRESET after=5 times=3 per=connection port=$PORT" -- \
	python3 "$D/client.py" "$PORT" conns 12
check "after=5 times=3 per=connection: the 6th to 8th connections ($(letters))" \
	[ "$(letters)" = "IIIIIAAAIIII" ]
finish
