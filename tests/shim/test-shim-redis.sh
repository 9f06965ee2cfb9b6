#!/bin/bash
# The network faults against Debian's redis-server and redis-cli (hiredis):
# a client with its own framing (RESP) and its own timeouts. The server
# runs without the shim; redis-cli runs under faultrun exec. Each fault
# has a control run (the rule for another port or name) that succeeds, so
# every check can fail. Nothing here measures time.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless redis-server
skip_unless redis-cli
skip_unless python3

SERVER_PID=
trap 'kill $SERVER_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

PORT=$(python3 "$(dirname "$0")/../e2e/free-port.py")
OTHER=$((PORT == 65535 ? PORT - 1 : PORT + 1))
env -u LD_PRELOAD -u FAULTRUN_CTL redis-server --port "$PORT" --bind 127.0.0.1 \
	--save '' --appendonly no --daemonize no --dir "$D" --logfile "$D/redis.log" &
SERVER_PID=$!
for _ in $(seq 100); do
	env -u LD_PRELOAD redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
env -u LD_PRELOAD redis-cli -p "$PORT" ping | grep -q PONG || { note "redis-server did not start"; exit 1; }

# a 1 MiB value, then a client that reads it back
head -c 786432 /dev/urandom | base64 -w0 >"$D/big"
env -u LD_PRELOAD redis-cli -p "$PORT" -x set big <"$D/big" >/dev/null
printf '\n' >>"$D/big" # redis-cli prints the value and a newline
RC=(redis-cli -p "$PORT")
same_big() { cmp -s "$D/out" "$D/big"; }

note "recv slice=1..7: hiredis reassembles a 1 MiB reply from short reads"
fr_control "recv slice=1..7 port=$OTHER" -- "${RC[@]}" get big
check "control: the value arrives" same_big
fr "name=s recv slice=1..7 port=$PORT" -- "${RC[@]}" get big
check "sliced: the value arrives intact" same_big
check "sliced: faultrun succeeds (the rule fired)" succeeded

note "recv delay=5ms jitter=5ms: every reply late, all of them right"
fr "recv delay=5ms jitter=5ms port=$PORT" -- sh -c "for i in 1 2 3 4 5; do redis-cli -p $PORT ping; done"
check "delayed: five PONGs" sh -c "[ \"\$(grep -c PONG '$D/out')\" = 5 ]"

note "recv delay=200ms probability=0.3: netem's loss as TCP shows it (a late reply)"
"$FAULTRUN" exec -q --json "$D/loss.json" -f "name=loss recv delay=200ms probability=0.3 port=$PORT" -- \
	sh -c "for i in \$(seq 20); do redis-cli -p $PORT ping; done" >"$D/out" 2>"$D/err"
rc=$?
check "loss: every PING answered" sh -c "[ \"\$(grep -c PONG '$D/out')\" = 20 ]"
check "loss: some replies were late, not all" python3 -c '
import json, sys
r = [x for x in json.load(open(sys.argv[1]))["rules"] if x["name"] == "loss"][0]
sys.exit(not (0 < r["injected"] < r["matched"]))' "$D/loss.json"

note "recv close-after=1KiB: the reply is cut and the connection reset"
fr_control "recv close-after=1KiB port=$OTHER" -- "${RC[@]}" get big
check "control: the value arrives" same_big
fr "recv close-after=1KiB port=$PORT" -- "${RC[@]}" get big
check "cut: redis-cli does not print the value" sh -c "! cmp -s '$D/out' '$D/big'"
check "cut: it reports the connection's end ($(head -c 120 "$D/err" "$D/out" | tr '\n' ' '))" \
	sh -c "grep -qiE 'reset|closed|error' '$D/err' '$D/out'"

note "connect blackhole: redis-cli (7.0: no connect timeout of its own) waits"
fr_control "connect blackhole port=$OTHER" -- timeout 2 "${RC[@]}" ping
check "control: PONG" out_has "PONG"
fr "connect blackhole port=$PORT" -- timeout 2 "${RC[@]}" ping
check "blackhole: still connecting when timeout(1) ends it (exit 124, got $rc)" \
	sh -c "[ $rc = 124 ] && ! grep -q PONG '$D/out'"

note "resolve error=EAI_AGAIN: the server's name does not resolve"
host=$(hostname)
if getent ahosts "$host" >/dev/null; then
	fr_control "resolve error=EAI_AGAIN query=db.internal" -- redis-cli -h "$host" -p "$PORT" ping
	# the server listens on 127.0.0.1; the name may resolve elsewhere: any
	# answer or refusal shows the lookup worked
	check "control: the name resolves (no resolver error)" \
		sh -c "! grep -qiE 'resolve|name or service|temporary failure' '$D/err' '$D/out'"
	fr "resolve error=EAI_AGAIN query=$host" -- redis-cli -h "$host" -p "$PORT" ping
	check "resolve: redis-cli reports the failed lookup ($(tr '\n' ' ' <"$D/err" | head -c 120))" \
		sh -c "grep -qiE 'temporary failure|resolv|name' '$D/err' '$D/out'"
else
	fail "the host's name ($host) does not resolve: no name to test with"
fi

note "per=connection: each connection is hit on every call or on none"
cat >"$D/many.sh" <<EOF
for i in \$(seq 40); do
	if out=\$(redis-cli -p $PORT ping 2>&1) && [ "\$out" = PONG ]; then echo ok; else echo hit; fi
done
EOF
fr "recv errno=ECONNRESET probability=0.5 per=connection seed=11 port=$PORT" -- sh "$D/many.sh"
hits=$(grep -c hit "$D/out")
check "per=connection: some connections hit, some not ($hits of 40)" \
	sh -c "[ $hits -gt 0 ] && [ $hits -lt 40 ]"
cp "$D/out" "$D/first"
fr "recv errno=ECONNRESET probability=0.5 per=connection seed=11 port=$PORT" -- sh "$D/many.sh"
check "per=connection: the same seed hits the same connections" cmp -s "$D/out" "$D/first"

finish
