#!/bin/bash
# curl against a server whose reply never comes (recv stall on its port):
# --max-time is curl's own deadline and must still fire (exit 28, on
# time); `faultrun ctl disarm` in the middle of the stall must release the
# blocked transfer at once and the reply then arrives whole.
. "$(dirname "$0")/test-sock-lib.sh"
skip_unless curl
skip_unless python3
# Debian's curl hangs in setlocale() at start whenever libasan is preloaded
# (as it must be before an ASan-built shim), shim or no shim: nothing to
# test there.
if ldd "$FAULTRUN_SHIM" 2>/dev/null | grep -q libasan; then
	note "curl does not start with libasan preloaded: skip under ASan"
	exit 77
fi
start_server
url="http://127.0.0.1:$PORT/"

note "control: a rule for another port changes nothing"
fr_control "recv stall port=$OTHER" -- curl -s --max-time 5 "$url"
check "curl succeeds" succeeded
check "and gets the reply" out_has "^ok"

note "the reply stalls: curl's --max-time 2 fires"
t0=$(now)
fr "recv stall port=$PORT" -- curl -s --max-time 2 "$url"
t1=$(now)
note "curl exited $rc after $(python3 -c "print('%.3f' % ($t1 - $t0))") s"
check "curl exits 28 (operation timed out)" [ "$rc" -eq 28 ]
check "at its deadline: 2 s, not before, not much after" between 1.9 "$t1 - $t0" 4
check "no reply" not_out_has "ok"

note "the request stalls instead (send): same deadline"
fr "send stall port=$PORT" -- curl -s --max-time 2 "$url"
check "curl exits 28" [ "$rc" -eq 28 ]

note "the connection stalls (connect): curl's --connect-timeout"
t0=$(now)
fr "connect stall port=$PORT" -- curl -s --connect-timeout 1 --max-time 5 "$url"
t1=$(now)
check "curl exits 28 on its connect timeout" [ "$rc" -eq 28 ]
check "after 1 s" between 0.9 "$t1 - $t0" 3

note "faultrun ctl disarm in the middle of a stall releases curl at once"
"$FAULTRUN" exec -q -f "name=db recv stall port=$PORT" -- \
	curl -s --max-time 30 "$url" >"$D/out" 2>"$D/err" &
run=$!
# wait until the stall has really begun (the rule injected)
for _ in $(seq 100); do
	"$FAULTRUN" ctl --run "$run" list 2>/dev/null | grep -q "injected 1" && break
	sleep 0.05
done
sleep 0.5
t0=$(now)
"$FAULTRUN" ctl --run "$run" disarm db >/dev/null
wait "$run"
rc=$?
t1=$(now)
note "curl returned $(python3 -c "print('%.1f' % (($t1 - $t0) * 1000))") ms after the disarm"
check "curl succeeds" succeeded
check "with the whole reply (nothing was lost)" out_has "^ok"
check "released at once (well under curl's 30 s)" between 0 "$t1 - $t0" 1
finish
