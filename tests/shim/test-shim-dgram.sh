#!/bin/bash
# Datagram faults (docs/faults.md "Datagram faults") seen by python3 over
# UDP on loopback, through every entry point python reaches (sendto,
# send, sendmsg, write, writev; recv, recvfrom, recvmsg, read, readv,
# recv_into), non-blocking and blocking: counts and order of what
# arrives, reproducible with --seed; and a stream socket, which these
# rules never touch (the run says the rule never fired). Nothing here
# measures time.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3
PEER="$(dirname "$0")/dgram-peer.py"
N=40
ALL=$(seq -s ' ' 0 $((N - 1)))

# run SPEC SENDAPI RECVAPI [blocking]: the peer under the rule, seed 7;
# what it received in $D/out, the rule's counts in $D/err
run() {
	local spec=$1
	shift
	timeout 60 "$FAULTRUN" exec --seed 7 -f "$spec" -- python3 "$PEER" "$1" "$2" $N ${3:-} \
		>"$D/out" 2>"$D/err"
	rc=$?
}
injected() { sed -n 's/.*injected \([0-9]*\).*/\1/p' "$D/err" | head -1; }
count() { wc -w <"$D/out"; }
sorted_unique() { tr ' ' '\n' <"$D/out" | grep -v '^999$' | sort -n | uniq | tr '\n' ' ' | sed 's/ $//'; }

# control: a rule for another port leaves every datagram alone, in order
FR_MAY_NOT_FIRE=1 fr "send drop port=9" -- python3 "$PEER" sendto recvfrom $N
check "control: all $N datagrams, in order" [ "$(cat "$D/out")" = "$ALL" ]

nums() { tr ' ' '\n' <"$D/out" | grep -v '^999$' | tr '\n' ' ' | sed 's/ $//'; }

# the sending side through each entry point: a send dropped reports success
for api in sendto sendmsg write writev; do
	run "send drop probability=30%" "$api" recv
	k=$(injected)
	first=$(cat "$D/out")
	check "send drop ($api): $N sent, $k dropped, the rest arrive once" \
		[ "$rc" = 0 -a "${k:-0}" -gt 0 -a "$(nums | wc -w)" = $((N - k)) -a \
		"$(sorted_unique | wc -w)" = $((N - k)) ]
done
run "send drop probability=30%" writev recv
check "send drop: the same datagrams with the same seed" [ "$(cat "$D/out")" = "$first" ]
for api in send sendmsg write; do
	run "send duplicate probability=30%" "$api" recv
	k=$(injected)
	check "send duplicate ($api): $k of $N sent twice" \
		[ "$rc" = 0 -a "${k:-0}" -gt 0 -a "$(nums | wc -w)" = $((N + k)) -a "$(sorted_unique)" = "$ALL" ]
done

# the receiving side through each entry point
for api in recv recvfrom recvmsg read readv recv_into; do
	run "recv drop probability=30%" send "$api"
	k=$(injected)
	check "recv drop ($api): $k of $N consumed and discarded" \
		[ "$rc" = 0 -a "${k:-0}" -gt 0 -a "$(nums | wc -w)" = $((N - k)) ]
	run "recv reorder probability=30%" send "$api"
	k=$(injected)
	check "recv reorder ($api): all $N arrive once, $k out of order" \
		[ "$rc" = 0 -a "${k:-0}" -gt 0 -a "$(sorted_unique)" = "$ALL" -a \
		"$(nums | wc -w)" = $N -a "$(nums)" != "$ALL" ]
done

# blocking reads (the receiving socket without O_NONBLOCK)
run "recv drop probability=30%" send recv blocking
k=$(injected)
check "recv drop, blocking: $k of $N discarded" \
	[ "$rc" = 0 -a "${k:-0}" -gt 0 -a "$(nums | wc -w)" = $((N - k)) ]
run "recv reorder probability=30%" send recv blocking
check "recv reorder, blocking: all arrive once, not in order" \
	[ "$rc" = 0 -a "$(sorted_unique)" = "$ALL" -a "$(nums | wc -w)" = $N -a "$(nums)" != "$ALL" ]

# every datagram (no probability): nothing arrives but the program is told it was sent
run "send drop" sendto recvfrom
check "send drop: every datagram dropped, every send succeeded" [ "$rc" = 0 -a "$(count)" = 0 ]

# a stream socket has no datagrams: the bytes go through, the run says the rule never fired
fr "send drop" -- python3 -c '
import socket
a, b = socket.socketpair()
b.settimeout(10)
a.sendall(b"stream")
print(b.recv(10).decode())'
check "stream socket: untouched" out_has stream
check "stream socket: exit 90, the rule never fired" [ "$rc" = 90 ]

# the parser refuses what has no meaning
for bad in "recv duplicate" "send reorder" "connect drop" "send drop per=connection"; do
	"$FAULTRUN" exec -f "$bad" -- true >/dev/null 2>"$D/err"
	check "refused: $bad" [ $? = 125 ]
done
finish
