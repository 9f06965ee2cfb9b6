#!/bin/bash
# Traffic shaping on sockets (docs/faults.md "Socket faults"): slice= makes
# real programs read and write a byte stream in small pieces, and every
# byte still arrives intact and in order (python3 on a blocking socket, on
# a socket with a timeout, which CPython polls, and sending; curl's event
# loop against python3 -m http.server); jitter= delays every matching call
# by a drawn amount, and the same seed draws the same sequence in two runs.
# Counts and checksums only: nothing here measures time. The servers run
# without the shim, so they are the kernel's peers, not shaped themselves.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3

SERVER_PID= HTTP_PID=
trap 'kill $SERVER_PID $HTTP_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

# The client: get (blocking recv(65536) until end of file), get-timeout
# (the same with settimeout: CPython polls, then recv on a non-blocking
# socket), get1k (recv(1024)), put (send() in a loop, its count).
cat >"$D/client.py" <<'PY'
import hashlib, os, socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.settimeout(20 if mode == "get-timeout" else None)
if mode == "put":
    data = os.urandom(65536)
    s.sendall(b"P")
    view, calls = memoryview(data), 0
    while view:
        n = s.send(view)
        calls += 1
        view = view[n:]
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while len(reply) < 64:
        d = s.recv(64 - len(reply))
        if not d:
            break
        reply += d
    print("put calls %d intact %s" % (calls,
          reply.decode() == hashlib.sha256(data).hexdigest()))
    sys.exit(0)
s.sendall(b"G")
size = 1024 if mode == "get1k" else 65536
buf, calls = b"", 0
while True:
    d = s.recv(size)
    calls += 1
    if not d:
        break
    buf += d
print("got %d calls %d sha %s" % (len(buf), calls, hashlib.sha256(buf).hexdigest()))
PY

# the peer (sock-peer.py): "G" sends 65536 random bytes, "P" answers the
# sha256 of what it read
env -u LD_PRELOAD -u FAULTRUN_CTL python3 "$(dirname "$0")/sock-peer.py" "$D/ports" 65536 &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -s "$D/ports" ] && break
	sleep 0.05
done
read -r PORT OTHER <"$D/ports" || { note "server did not start"; exit 1; }
SHA=$(cat "$D/ports.sha")

# calls: the client's count of recv()/send() calls from $D/out
calls() { sed -n 's/.* calls \([0-9]*\).*/\1/p' "$D/out"; }
intact() { out_has "^got 65536 calls [0-9]* sha $SHA\$"; }
at_least() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
at_most() { [ -n "$1" ] && [ "$1" -le "$2" ]; }
differ() { ! cmp -s "$1" "$2"; }
# 64 KiB in slices of at most 7 bytes takes at least this many calls
MIN_CALLS=$(((65536 + 6) / 7))

# ---- slice= on recv ---------------------------------------------------------

fr_control "recv slice=1..7 port=$OTHER" -- python3 "$D/client.py" "$PORT" get
check "control: 64 KiB arrive intact" intact
check "control: in a few recv() calls (got $(calls))" at_most "$(calls)" 64
fr "recv slice=1..7 port=$PORT" -- python3 "$D/client.py" "$PORT" get
check "slice=1..7: 64 KiB arrive intact and in order" intact
check "slice=1..7: at least $MIN_CALLS recv() calls (got $(calls))" \
	at_least "$(calls)" "$MIN_CALLS"

fr "recv slice=1..7 port=$PORT" -- python3 "$D/client.py" "$PORT" get-timeout
check "slice=1..7, settimeout (poll, non-blocking recv): intact" intact
check "slice=1..7, settimeout: at least $MIN_CALLS recv() calls (got $(calls))" \
	at_least "$(calls)" "$MIN_CALLS"

# a fixed slice: no call moves more than 1000 bytes (fewer when fewer are queued)
fr "recv slice=1000 port=$PORT" -- python3 "$D/client.py" "$PORT" get
check "slice=1000: intact" intact
check "slice=1000: at least 66 recv() calls and the end of file (got $(calls))" \
	at_least "$(calls)" 67

# ---- slice= on send ---------------------------------------------------------

fr_control "send slice=1..7 port=$OTHER" -- python3 "$D/client.py" "$PORT" put
check "control: the peer reads 64 KiB intact" out_has "intact True"
check "control: in a few send() calls (got $(calls))" at_most "$(calls)" 64
fr "send slice=1..7 port=$PORT" -- python3 "$D/client.py" "$PORT" put
check "send slice=1..7: the peer reads 64 KiB intact and in order" out_has "intact True"
check "send slice=1..7: at least $MIN_CALLS send() calls (got $(calls))" \
	at_least "$(calls)" "$MIN_CALLS"

# ---- slice= under curl's event loop ---------------------------------------------

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
	fr "recv slice=1..100 port=$HP" -- curl -sS --max-time 60 -o "$D/got" \
		"http://127.0.0.1:$HP/blob"
	check "curl under recv slice=1..100: succeeds" succeeded
	check "curl under recv slice=1..100: the file arrives intact" cmp -s "$D/got" "$D/www/blob"
fi

# ---- jitter= ----------------------------------------------------------------

# run_jitter SPEC NAME: the client (recv of 1 KiB at a time) under SPEC,
# with the shim's debug log; the delays it drew into $D/NAME.seq
run_jitter() {
	FAULTSHIM_DEBUG=1 "$FAULTRUN" exec -f "$1" -- python3 "$D/client.py" "$PORT" get1k \
		>"$D/out" 2>"$D/err"
	rc=$?
	sed -n 's/^faultshim\[[0-9]*\]: recv(.*): rule "rule0": delay \([0-9]*\)ns$/\1/p' \
		"$D/err" >"$D/$2.seq"
	sed -n "s/.*rule 'rule0' armed: matched \([0-9]*\), injected \([0-9]*\) .*/\1 \2/p" \
		"$D/err" >"$D/$2.count"
}
# every_call NAME: the rule matched and injected every recv() the client made
every_call() {
	local m i
	read -r m i <"$D/$1.count" || return 1
	[ "$m" = "$(calls)" ] && [ "$i" = "$m" ] && [ "$(wc -l <"$D/$1.seq")" = "$m" ]
}
# within NAME LOW HIGH: every delay drawn is in [LOW, HIGH] ns, and not all equal
within() {
	awk -v lo="$2" -v hi="$3" '$1 < lo || $1 > hi { bad = 1 } { seen[$1] = 1 }
		END { n = 0; for (k in seen) n++; exit bad || n < 2 }' "$D/$1.seq"
}

run_jitter "recv delay=2ms jitter=1ms seed=42 port=$PORT" a
check "jitter: the client got its bytes intact" intact
check "jitter: every recv() was delayed ($(cat "$D/a.count"), $(calls) calls)" every_call a
check "jitter: each delay within 2ms +- 1ms, and they vary" within a 1000000 3000000
run_jitter "recv delay=2ms jitter=1ms seed=42 port=$PORT" b
check "jitter: the same seed draws the same delays in a second run" cmp -s "$D/a.seq" "$D/b.seq"
run_jitter "recv delay=2ms jitter=1ms seed=43 port=$PORT" c
check "jitter: another seed draws other delays" differ "$D/a.seq" "$D/c.seq"
run_jitter "recv delay=2ms jitter=1ms port=$PORT" d
run_jitter "recv delay=2ms jitter=1ms port=$PORT" e
check "jitter without seed=: the same SPEC draws the same delays" cmp -s "$D/d.seq" "$D/e.seq"
check "jitter without seed=: still every call ($(cat "$D/e.count"))" every_call e
# jitter larger than the delay: never below 0
run_jitter "recv delay=1ms jitter=5ms seed=1 port=$PORT" f
check "jitter=5ms on delay=1ms: every delay between 0 and 6ms" within f 0 6000000
check "jitter=5ms on delay=1ms: intact" intact
finish
