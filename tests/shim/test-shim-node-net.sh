#!/bin/bash
# The network faults seen by node (libuv: non-blocking sockets on epoll):
# sliced and paced downloads arrive intact, a download cut by close-after
# fails with node's own error, and a connect to a vanished host waits for
# node's own timeout without spinning the event loop. The server is
# python3 -m http.server, without the shim. Every fault has a control run;
# the only times checked are lower bounds (the shim can only make things
# slower) and CPU ceilings (a spinning loop burns the whole wait).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless node
skip_unless python3

HTTP_PID=
trap 'kill $HTTP_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
mkdir -p "$D/www"
head -c 300000 /dev/urandom >"$D/www/blob"
HP=$(python3 "$(dirname "$0")/../e2e/free-port.py")
OTHER=$((HP == 65535 ? HP - 1 : HP + 1))
(cd "$D/www" && exec env -u LD_PRELOAD -u FAULTRUN_CTL python3 -m http.server "$HP" \
	--bind 127.0.0.1 >/dev/null 2>&1) &
HTTP_PID=$!
for _ in $(seq 100); do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$HP" 2>/dev/null && break
	sleep 0.05
done

# get.js OUT TIMEOUT_MS: GET /blob into OUT; prints what happened, the
# wall time, and the CPU the process used
cat >"$D/get.js" <<'JS'
const http = require("http"), fs = require("fs");
const [port, out, tmo] = process.argv.slice(2);
const t0 = Date.now(), c0 = process.cpuUsage();
function done(what) {
  const c = process.cpuUsage(c0);
  console.log(`${what} wall_ms ${Date.now() - t0} cpu_ms ${Math.round((c.user + c.system) / 1000)}`);
  process.exit(0);
}
const req = http.get({ host: "127.0.0.1", port, path: "/blob", timeout: +tmo }, (res) => {
  const f = fs.createWriteStream(out);
  res.pipe(f);
  res.on("aborted", () => done("aborted"));
  res.on("error", (e) => done("error " + e.code));
  f.on("finish", () => done("done " + fs.statSync(out).size));
});
req.on("timeout", () => { req.destroy(); done("timeout"); });
req.on("error", (e) => done("error " + e.code));
JS
# field NAME: the number after NAME in the output
field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p" "$D/out"; }
intact() { cmp -s "$D/got" "$D/www/blob"; }

note "recv slice=1..100: the download arrives intact"
fr_control "recv slice=1..100 port=$OTHER" -- node "$D/get.js" "$HP" "$D/got" 20000
check "control: intact" intact
rm -f "$D/got"
fr "recv slice=1..100 port=$HP" -- node "$D/get.js" "$HP" "$D/got" 20000
check "sliced: intact ($(head -c 80 "$D/out"))" intact

note "recv rate=128KiB/s: paced, intact, and no CPU spent waiting"
rm -f "$D/got"
fr "recv rate=128KiB/s port=$HP" -- node "$D/get.js" "$HP" "$D/got" 30000
check "paced: intact" intact
check "paced: at least 1.5 s for 300 KB ($(field wall_ms) ms)" sh -c "[ \"$(field wall_ms)\" -ge 1500 ]"
check "paced: under 500 ms of CPU ($(field cpu_ms) ms)" sh -c "[ \"$(field cpu_ms)\" -lt 500 ]"

note "recv close-after=64KiB: node sees the connection reset mid-download"
rm -f "$D/got"
fr "recv close-after=64KiB port=$HP" -- node "$D/get.js" "$HP" "$D/got" 20000
check "cut: node reports it ($(head -c 80 "$D/out"))" sh -c "grep -qE '^(aborted|error ECONNRESET)' '$D/out'"
check "cut: less than the whole file arrived" sh -c "! cmp -s '$D/got' '$D/www/blob'"

note "connect blackhole: node's own timeout fires, and libuv's loop does not spin"
fr_control "connect blackhole port=$OTHER" -- node "$D/get.js" "$HP" "$D/got" 2000
check "control: done" out_has "^done 300000"
fr "connect blackhole port=$HP" -- node "$D/get.js" "$HP" "$D/got" 2000
check "blackhole: the request's 2 s timeout fires ($(head -c 80 "$D/out"))" out_has "^timeout"
check "blackhole: under 500 ms of CPU while it waited ($(field cpu_ms) ms)" \
	sh -c "[ \"$(field cpu_ms)\" -lt 500 ]"

finish
