#!/bin/bash
# Bandwidth on sockets (docs/faults.md "Socket faults", rate=): a python3
# client on a blocking socket, a python3 asyncio client (non-blocking
# sockets under epoll), curl against python3 -m http.server, and a python3
# client sending, each moving 256 KiB under a rule of 128 KiB/s. The data
# arrives intact; the transfer takes at least 1.5 s (a lower bound only:
# the shim cannot make a transfer faster, so this cannot flake, and no
# upper bound is asserted); and the client's own CPU time over the
# transfer stays under 0.5 s, which shows it slept while paced rather than
# spinning on EAGAIN or readiness. The servers run without the shim.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3

SERVER_PID= HTTP_PID=
trap 'kill $SERVER_PID $HTTP_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

# The client: get (blocking recv(65536) until end of file), aget (asyncio:
# non-blocking recv under epoll), put (sendall of 256 KiB, then the
# peer's sha256). Prints what it moved, the seconds the transfer took and
# the CPU seconds (user + system) the process spent meanwhile.
cat >"$D/client.py" <<'PY'
import asyncio, hashlib, os, resource, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
def report(what, t0, c0):
    print("%s secs %.3f cpu %.3f" % (what, time.monotonic() - t0, cpu() - c0))
if mode == "aget":
    async def main():
        r, w = await asyncio.open_connection("127.0.0.1", port)
        t0, c0 = time.monotonic(), cpu()
        w.write(b"G")
        buf = b""
        while True:
            d = await r.read(65536)
            if not d:
                break
            buf += d
        report("got %d sha %s" % (len(buf), hashlib.sha256(buf).hexdigest()), t0, c0)
        w.close()
    asyncio.run(asyncio.wait_for(main(), 60))
    sys.exit(0)
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.settimeout(None)
t0, c0 = time.monotonic(), cpu()
if mode == "put":
    data = os.urandom(262144)
    s.sendall(b"P" + data)
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while len(reply) < 64:
        d = s.recv(64 - len(reply))
        if not d:
            break
        reply += d
    report("put intact %s" % (reply.decode() == hashlib.sha256(data).hexdigest()), t0, c0)
    sys.exit(0)
s.sendall(b"G")
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
report("got %d sha %s" % (len(buf), hashlib.sha256(buf).hexdigest()), t0, c0)
PY

# the peer (sock-peer.py): "G" sends 262144 random bytes, "P" answers the
# sha256 of what it read
env -u LD_PRELOAD -u FAULTRUN_CTL python3 "$(dirname "$0")/sock-peer.py" "$D/port" 262144 &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -s "$D/port" ] && break
	sleep 0.05
done
read -r PORT _ <"$D/port" || { note "server did not start"; exit 1; }
SHA=$(cat "$D/port.sha")

# what the client printed
secs() { sed -n 's/.* secs \([0-9.]*\) .*/\1/p' "$D/out"; }
cpus() { sed -n 's/.* cpu \([0-9.]*\)$/\1/p' "$D/out"; }
# at_least X MIN / below X MAX: decimal comparisons of a printed number
at_least() { [ -n "$1" ] && awk -v x="$1" -v m="$2" 'BEGIN { exit !(x >= m) }'; }
below() { [ -n "$1" ] && awk -v x="$1" -v m="$2" 'BEGIN { exit !(x < m) }'; }
intact() { out_has "^got 262144 sha $SHA secs "; }
# 256 KiB at 128 KiB/s, less the first burst (1/20 s): at least 1.95 s
RATE=128KiB/s
MIN=1.5
CPU=0.5

# ---- recv rate=, blocking -----------------------------------------------------

fr_control "recv rate=$RATE port=1" -- python3 "$D/client.py" "$PORT" get
check "control: 256 KiB arrive intact" intact
fr "recv rate=$RATE port=$PORT" -- python3 "$D/client.py" "$PORT" get
check "recv rate=$RATE, blocking: 256 KiB arrive intact" intact
check "recv rate=$RATE, blocking: took at least ${MIN}s (took $(secs))" at_least "$(secs)" $MIN
check "recv rate=$RATE, blocking: under ${CPU}s of CPU while paced ($(cpus))" \
	below "$(cpus)" $CPU

# ---- recv rate=, asyncio (non-blocking, epoll) ---------------------------------

fr_control "recv rate=$RATE port=1" -- python3 "$D/client.py" "$PORT" aget
check "control, asyncio: 256 KiB arrive intact" intact
fr "recv rate=$RATE port=$PORT" -- python3 "$D/client.py" "$PORT" aget
check "recv rate=$RATE, asyncio: 256 KiB arrive intact" intact
check "recv rate=$RATE, asyncio: took at least ${MIN}s (took $(secs))" at_least "$(secs)" $MIN
check "recv rate=$RATE, asyncio: under ${CPU}s of CPU while paced ($(cpus))" \
	below "$(cpus)" $CPU

# ---- send rate= ---------------------------------------------------------------

fr_control "send rate=$RATE port=1" -- python3 "$D/client.py" "$PORT" put
check "control: the peer reads 256 KiB intact" out_has "^put intact True "
fr "send rate=$RATE port=$PORT" -- python3 "$D/client.py" "$PORT" put
check "send rate=$RATE: the peer reads 256 KiB intact" out_has "^put intact True "
check "send rate=$RATE: took at least ${MIN}s (took $(secs))" at_least "$(secs)" $MIN
check "send rate=$RATE: under ${CPU}s of CPU while paced ($(cpus))" below "$(cpus)" $CPU

# ---- curl (its own event loop: non-blocking recv under poll) -------------------

if have_curl; then
	mkdir "$D/www"
	head -c 262144 /dev/urandom >"$D/www/blob"
	(cd "$D/www" && exec env -u LD_PRELOAD -u FAULTRUN_CTL python3 -u -m http.server 0 \
		--bind 127.0.0.1 >"$D/http.log" 2>&1) &
	HTTP_PID=$!
	for _ in $(seq 100); do
		grep -q "port" "$D/http.log" 2>/dev/null && break
		sleep 0.05
	done
	HP=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$D/http.log" | head -1)
	fr "recv rate=$RATE port=$HP" -- curl -sS --max-time 60 -o "$D/got" \
		-w 'curl secs %{time_total} cpu -\n' "http://127.0.0.1:$HP/blob"
	check "curl under recv rate=$RATE: succeeds" succeeded
	check "curl under recv rate=$RATE: the file arrives intact" cmp -s "$D/got" "$D/www/blob"
	check "curl under recv rate=$RATE: took at least ${MIN}s (took $(secs))" \
		at_least "$(secs)" $MIN
fi

finish
