#!/bin/bash
# netem's delay distributions and correlation, the per-connection draws of
# jitter=, and close-after= on more connections than one fd set of the old
# table held, seen by python3 under faultrun exec. The delays drawn are
# read from the shim's debug log (FAULTSHIM_DEBUG), not measured: nothing
# here times anything.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3

# SENDS N: a socketpair, N one-byte sends (each drawn a delay)
cat >"$D/sends.py" <<'PY'
import socket, sys
a, b = socket.socketpair()
for _ in range(int(sys.argv[1])):
    a.send(b"x")
    b.recv(1)
PY
# the delays (ns) the shim drew, one a line
delays() { sed -n 's/.*: delay \([0-9]*\)ns.*/\1/p' "$D/err"; }
# stats FILE: "mean sd below_mean lag1" of the numbers in FILE
stats() {
	python3 -c '
import sys
xs = [int(l) for l in open(sys.argv[1])]
n = len(xs); m = sum(xs) / n
sd = (sum((x - m) ** 2 for x in xs) / n) ** 0.5
below = sum(x < m for x in xs) / n
c = sum((xs[i] - m) * (xs[i + 1] - m) for i in range(n - 1)) / (n - 1) / sd ** 2
print("%d %d %.3f %.3f" % (m, sd, below, c))' "$1"
}
shaped() { # shaped SPEC: 300 sends under it, their delays in $D/d
	FAULTSHIM_DEBUG=1 fr "$1" -- python3 "$D/sends.py" 300
	delays >"$D/d"
}
not_same() { ! cmp -s "$1" "$2"; }
ge() { python3 -c "import sys; sys.exit(not float('$1') >= float('$2'))"; }

shaped "send delay=1ms jitter=400us distribution=pareto seed=7"
read -r mean sd below lag <<<"$(stats "$D/d")"
cp "$D/d" "$D/d.first"
check "pareto: 300 delays drawn" [ "$(wc -l <"$D/d")" = 300 ]
check "pareto: a long right tail (most below the mean: $below)" ge "$below" 0.6
check "pareto: mean near delay= ($mean ns)" ge "$mean" 900000
check "pareto: spread near jitter= ($sd ns)" ge "$sd" 300000
shaped "send delay=1ms jitter=400us distribution=pareto seed=7"
check "pareto: the same delays with the same seed" cmp -s "$D/d" "$D/d.first"
shaped "send delay=1ms jitter=400us distribution=normal seed=7"
read -r mean sd below lag <<<"$(stats "$D/d")"
check "normal: symmetric (below the mean: $below)" ge 0.6 "$below"
check "normal: not the pareto draws" not_same "$D/d" "$D/d.first"
check "normal: uncorrelated (lag-1 $lag)" ge 0.3 "$lag"
shaped "send delay=1ms jitter=400us distribution=normal correlation=90% seed=7"
read -r mean sd below lag <<<"$(stats "$D/d")"
check "correlation=90%: each delay close to the one before (lag-1 $lag)" ge "$lag" 0.6

# one connection per process, on the same fd numbers: each its own delays
FAULTSHIM_DEBUG=1 fr "send delay=1ms jitter=1ms seed=3" -- \
	bash -c 'for i in 1 2 3 4; do python3 "$0" 2; done' "$D/sends.py"
firsts=$(sed -n 's/^faultshim\[\([0-9]*\)\].*: delay \([0-9]*\)ns.*/\1 \2/p' "$D/err" |
	sort -u -k1,1 | awk '{print $2}' | sort -u | wc -l)
check "jitter per connection: 4 processes draw 4 different first delays ($firsts)" [ "$firsts" = 4 ]

# close-after= on 6 connections whose fds share one set of 256 (300, 556, ...)
cat >"$D/many.py" <<'PY'
import os, resource, socket
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
conns = []
for k in range(6):
    a, b = socket.socketpair()
    fd = os.dup2(a.fileno(), 300 + 256 * k)
    a.close()
    conns.append((socket.socket(fileno=fd), b))
cut = 0
for a, b in conns:
    a.send(b"0123456789")
    try:
        a.send(b"more")
    except OSError:
        cut += 1
print("cut", cut)
PY
fr "send close-after=10 then=close" -- python3 "$D/many.py"
check "close-after=: all 6 connections in one fd set are cut" out_has "cut 6"
finish
