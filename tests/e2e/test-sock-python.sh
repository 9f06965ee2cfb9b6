#!/bin/bash
# python3's socket timeouts under a stalled peer: settimeout() (poll plus a
# non-blocking recv inside CPython) raises socket.timeout on time; a
# blocking socket with SO_RCVTIMEO gets EAGAIN; a reset peer gives
# ConnectionResetError; a refused connect ConnectionRefusedError. Each
# run is paired with a control run on another port.
. "$(dirname "$0")/test-sock-lib.sh"
skip_unless python3
start_server
cat >"$D/client.py" <<'PY'
import socket, struct, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
except OSError as e:
    print("connect", type(e).__name__)
    sys.exit(0)
if mode == "settimeout":
    s.settimeout(1.5)
elif mode == "rcvtimeo":
    s.settimeout(None)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                 struct.pack("ll", 1, 500000))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
t0 = time.monotonic()
try:
    data = s.recv(4096)
    print("reply", b"ok" in data)
except socket.timeout:
    print("timeout after %.3f" % (time.monotonic() - t0))
except BlockingIOError:
    print("EAGAIN after %.3f" % (time.monotonic() - t0))
except OSError as e:
    print("error", type(e).__name__)
PY
py() { fr "$1" -- python3 "$D/client.py" "$2" "$3"; }
secs() { sed -n 's/.* after \([0-9.]*\)$/\1/p' "$D/out"; }

py "recv stall port=$OTHER" "$PORT" settimeout
check "control: the reply arrives" out_has "reply True"
py "recv stall port=$PORT" "$PORT" settimeout
check "settimeout(1.5): socket.timeout" out_has "^timeout after"
check "raised on time (1.5 s)" between 1.45 "$(secs)" 3

py "recv stall port=$PORT" "$PORT" rcvtimeo
check "SO_RCVTIMEO 1.5 s on a blocking socket: EAGAIN" out_has "^EAGAIN after"
check "on time" between 1.45 "$(secs)" 3

py "recv reset port=$PORT" "$PORT" settimeout
check "reset: ConnectionResetError" out_has "error ConnectionResetError"
py "connect refuse port=$PORT" "$PORT" settimeout
check "refuse: ConnectionRefusedError" out_has "connect ConnectionRefusedError"
py "connect refuse port=$OTHER" "$PORT" settimeout
check "control: connects" out_has "reply True"
py "recv delay=400ms port=$PORT" "$PORT" settimeout
check "delay 400 ms under a 1.5 s timeout: the reply comes" out_has "reply True"
finish
