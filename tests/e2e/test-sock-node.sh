#!/bin/bash
# node (libuv, epoll) with http.get's own timeout against a reply that
# never comes: the 'timeout' event must fire on time, the event loop must
# keep running meanwhile (a timer ticks), and the process must stay idle
# (its CPU time over the stall is measured from /proc). A stall that slept
# inside a call would freeze the loop; one that spun would burn a core.
. "$(dirname "$0")/test-sock-lib.sh"
skip_unless node
skip_unless python3
start_server
cat >"$D/client.js" <<'JS'
const http = require('http');
const fs = require('fs');
const [port, timeout] = [Number(process.argv[2]), Number(process.argv[3])];
fs.writeFileSync(process.argv[4], String(process.pid));
let ticks = 0;
const tick = setInterval(() => { ticks++; }, 100);
const t0 = Date.now();
const req = http.get({ host: '127.0.0.1', port, path: '/', timeout }, (res) => {
	let body = '';
	res.on('data', (d) => { body += d; });
	res.on('end', () => {
		console.log('reply ' + body.trim() + ' after ' + (Date.now() - t0));
		clearInterval(tick);
	});
});
req.on('timeout', () => {
	console.log('timeout after ' + (Date.now() - t0) + ' ticks ' + ticks);
	clearInterval(tick);
	req.destroy();
});
req.on('error', (e) => { if (e.code !== 'ECONNRESET') console.log('error ' + e.code); });
JS
ms() { sed -n 's/.* after \([0-9]*\).*/\1/p' "$D/out"; }

fr "recv stall port=$OTHER" -- node "$D/client.js" "$PORT" 3000 "$D/pid"
check "control: the reply arrives" out_has "reply ok"

note "the reply stalls for longer than http.get's timeout (3 s)"
rm -f "$D/pid"
"$FAULTRUN" exec -q -f "recv stall port=$PORT" -- \
	node "$D/client.js" "$PORT" 3000 "$D/pid" >"$D/out" 2>"$D/err" &
run=$!
for _ in $(seq 200); do [ -s "$D/pid" ] && break; sleep 0.05; done
pid=$(cat "$D/pid")
sleep 1 # start-up done, the request sent and stalled
c0=$(cpu_of "$pid")
sleep 1.5
c1=$(cpu_of "$pid")
wait "$run"
rc=$?
cpu=$(python3 -c "print('%.2f' % (($c1 - $c0) / 1.5 * 100))")
note "node used $cpu% of a core during the stall; $(cat "$D/out")"
check "node exits cleanly" succeeded
check "the 'timeout' event fires" out_has "^timeout after"
check "on time (3 s)" between 2950 "$(ms)" 5000
check "the event loop ran meanwhile (timer ticks)" \
	python3 -c "import re,sys; sys.exit(0 if int(re.search(r'ticks (\d+)', open('$D/out').read()).group(1)) >= 20 else 1)"
check "the process stays idle (< 2% of a core, ticks included)" between 0 "$cpu" 2

note "a delayed reply (1 s) under the same timeout arrives late but whole"
fr "recv delay=1s port=$PORT" -- node "$D/client.js" "$PORT" 3000 "$D/pid"
check "the reply arrives" out_has "reply ok"
check "a second late" between 950 "$(ms)" 2900
finish
