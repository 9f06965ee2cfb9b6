# Helpers for tests/e2e/test-sock-*.sh (sourced, not run): real network
# clients under `faultrun exec` against a small local HTTP server that is
# NOT under the shim, so a stall is the client's view of a silent peer.
# Builds on test-exec-lib.sh (fr, check, note, finish, $D, $rc).

. "$(dirname "$0")/test-exec-lib.sh"

# now: monotonic seconds with decimals
now() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }

# between LOW X HIGH: LOW <= X < HIGH (decimals)
between() { python3 -c "import sys; sys.exit(0 if $1 <= $2 < $3 else 1)"; }

# start_server: a threaded HTTP/1.1 server on 127.0.0.1 answering "ok\n"
# at once; its port in $PORT, a second free port (nobody listens) in
# $OTHER. Killed by pid at exit.
SERVER_PID=
start_server() {
	cat >"$D/server.py" <<'PY'
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
o = socket.socket()
o.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (s.getsockname()[1], o.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    try:
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                return
            buf += d
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                  b"Connection: close\r\n\r\nok\n")
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	env -u LD_PRELOAD -u FAULTRUN_CTL python3 "$D/server.py" "$D/ports" &
	SERVER_PID=$!
	for _ in $(seq 100); do
		[ -s "$D/ports" ] && break
		sleep 0.05
	done
	read -r PORT OTHER <"$D/ports" || { note "server did not start"; exit 1; }
	trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -rf "$D"' EXIT
}

# cpu_of PID: user+system CPU seconds of a process so far
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
