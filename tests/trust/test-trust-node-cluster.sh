#!/bin/bash
# Node in cluster mode: the worker logs to files that fail with ENOSPC
# and closes them (libuv closes with a raw close syscall), then serves
# HTTP on connections the primary hands over by SCM_RIGHTS on the reused
# numbers. Every request must be answered, and only the log files faulted.
. "$(dirname "$0")/trust-lib.sh"
skip_unless node
skip_unless curl
mkdir -p "$D/logs"
port=$(python3 "$(dirname "$0")/../e2e/free-port.py")

"$FAULTRUN" exec -q --json "$D/j.json" -f "write errno=ENOSPC path=$D/logs/**" -- \
	node "$(dirname "$0")/cluster.js" "$port" "$D/logs" >"$D/out" 2>"$D/err" &
fr=$!
for _ in $(seq 100); do grep -q ready "$D/out" 2>/dev/null && break; sleep 0.1; done
check "the cluster is ready" grep -q ready "$D/out"
answered=0
for _ in $(seq 100); do
	curl -sf -m 5 "http://127.0.0.1:$port/" >/dev/null && answered=$((answered + 1))
done
note "$answered of 100 requests answered"
kill -TERM "$fr"
wait "$fr"
check "every request answered (100 of 100)" test "$answered" = 100
check "only the log files were faulted" only_faulted "$D/j.json" "$D/logs"
finish
