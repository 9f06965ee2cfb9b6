#!/bin/bash
# Name resolution faults (resolve, net/resolve) on real programs: python3's
# socket module (getaddrinfo, getnameinfo), perl (gethostbyname_r), curl
# and node (resolvers on their own threads), getent (gethostbyname2,
# getaddrinfo), and the resolver's queries (res_query and the rest, which
# no installed program calls: tests/shim/dns-resq.c).
# Every lookup is of a name the machine resolves from /etc/hosts
# (localhost, the host's own name), so that a lookup failing is faultrun's
# doing, not the network's: each injected run has a control run in which
# the same lookup succeeds.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3
skip_unless getent
skip_unless perl

py() { # py CODE...: python3 -c, with socket imported
	python3 -c "import socket, sys
$1"
}

# the python lookups: print what each gives
cat >"$D/gai.py" <<'EOF'
import socket, sys
for name in sys.argv[1:]:
    try:
        socket.getaddrinfo(name, 80)
        print("resolved", name)
    except socket.gaierror as e:
        print("gaierror", e.errno, name)
EOF
EAI_AGAIN=$(py 'print(socket.EAI_AGAIN)')
EAI_NONAME=$(py 'print(socket.EAI_NONAME)')
EAI_FAIL=$(py 'print(socket.EAI_FAIL)')

note "control: a rule for another name leaves getaddrinfo alone"
fr_control "resolve error=EAI_AGAIN query=db.internal" -- python3 "$D/gai.py" localhost
check "localhost resolves" out_has "^resolved localhost"

note "getaddrinfo fails with the rule's code, only for the name it selects"
fr "resolve error=EAI_AGAIN query=localhost" -- python3 "$D/gai.py" localhost 127.0.0.1
check "localhost: socket.gaierror EAI_AGAIN" out_has "^gaierror $EAI_AGAIN localhost"
check "a numeric address asks no one and still resolves" out_has "^resolved 127.0.0.1"
fr "resolve error=EAI_NONAME query=local*" -- python3 "$D/gai.py" localhost
check "query=local*: EAI_NONAME" out_has "^gaierror $EAI_NONAME localhost"
fr "net/resolve error=EAI_FAIL query=LOCALHOST" -- python3 "$D/gai.py" LocalHost.
check "case and a trailing dot do not matter: EAI_FAIL" out_has "^gaierror $EAI_FAIL LocalHost."

note "times=1 fails the first lookup only; proc= selects the process"
fr "resolve error=EAI_AGAIN query=localhost times=1" -- python3 "$D/gai.py" localhost localhost
check "first fails" out_has "^gaierror $EAI_AGAIN localhost"
check "second resolves" out_has "^resolved localhost"
fr_control "resolve error=EAI_AGAIN query=localhost proc=node" -- python3 "$D/gai.py" localhost
check "proc=node leaves python3 alone" out_has "^resolved localhost"

note "gethostbyname_r (perl's gethostbyname): h_errno in \$?"
pl='my @a = gethostbyname("localhost"); print @a ? "resolved\n" : "h_errno $?\n"'
fr_control "resolve error=EAI_AGAIN query=db.internal" -- perl -e "$pl"
check "control: resolved" out_has "^resolved"
fr "resolve error=EAI_AGAIN query=localhost" -- perl -e "$pl"
check "h_errno 2 (TRY_AGAIN)" out_has "^h_errno 2$"
fr "resolve error=EAI_NONAME query=localhost" -- perl -e "$pl"
check "h_errno 1 (HOST_NOT_FOUND)" out_has "^h_errno 1$"
fr "resolve error=EAI_FAIL query=localhost" -- perl -e "$pl"
check "h_errno 3 (NO_RECOVERY)" out_has "^h_errno 3$"

note "getnameinfo: decided on the address it reverse-resolves"
cat >"$D/gni.py" <<'EOF'
import socket
for flags in (0, socket.NI_NAMEREQD):
    try:
        print("name", flags, socket.getnameinfo(("127.0.0.1", 80), flags)[0])
    except socket.gaierror as e:
        print("gaierror", flags, e.errno)
EOF
fr_control "resolve error=EAI_AGAIN query=10.*" -- python3 "$D/gni.py"
check "control: 127.0.0.1 is localhost" out_has "^name 0 localhost"
fr "resolve error=EAI_AGAIN query=127.0.0.1" -- python3 "$D/gni.py"
check "EAI_AGAIN" out_has "^gaierror 0 $EAI_AGAIN"
fr "resolve error=EAI_NONAME query=127.0.0.1" -- python3 "$D/gni.py"
check "not found: the numeric form, as glibc gives it" out_has "^name 0 127.0.0.1"
check "not found with NI_NAMEREQD: EAI_NONAME" out_has "^gaierror 8 $EAI_NONAME"

note "getent: hosts (gethostbyname2) and ahosts (getaddrinfo)"
fr_control "resolve error=EAI_NONAME query=db.internal" -- getent hosts localhost
check "control: getent hosts succeeds" succeeded
fr "resolve error=EAI_NONAME query=localhost" -- getent hosts localhost
check "getent hosts: exit 2 (not found)" [ "$rc" -eq 2 ]
fr "resolve error=EAI_FAIL query=localhost" -- getent ahosts localhost
check "getent ahosts: exit 2" [ "$rc" -eq 2 ]

if have_curl; then
	# curl answers "localhost" itself (RFC 6761) and never looks it up:
	# use the machine's own name, which /etc/hosts gives
	host=$(hostname)
	if getent ahosts "$host" >/dev/null; then
		note "curl (its resolver thread): 'Could not resolve host', exit 6"
		fr_control "resolve error=EAI_AGAIN query=db.internal" -- \
			curl -sS --max-time 10 "http://$host:1/"
		check "control: resolved, then refused (exit 7)" [ "$rc" -eq 7 ]
		fr "resolve error=EAI_AGAIN query=$host" -- curl -sS --max-time 10 "http://$host:1/"
		check "exit 6" [ "$rc" -eq 6 ]
		check "Could not resolve host" err_has "Could not resolve host"
	else
		fail "the host's name ($host) does not resolve: no name to test curl with"
	fi
fi

if command -v node >/dev/null; then
	note "node dns.lookup (getaddrinfo on libuv's thread pool)"
	js='require("dns").lookup("localhost", (e, a) => console.log(e ? "error " + e.code : "address " + a))'
	fr_control "resolve error=EAI_AGAIN query=db.internal" -- node -e "$js"
	check "control: an address" out_has "^address "
	fr "resolve error=EAI_AGAIN query=localhost" -- node -e "$js"
	check "error EAI_AGAIN" out_has "^error EAI_AGAIN"
	fr "resolve error=EAI_NONAME query=localhost" -- node -e "$js"
	check "error ENOTFOUND (node's name for EAI_NONAME)" out_has "^error ENOTFOUND"
fi

if [ -n "${DNS_RESQ:-}" ]; then
	# res_query asks the name server even for localhost (never /etc/hosts),
	# and a sandbox may have none: bound each real query, and tell a real
	# call from an injected one by the run's injected count, not by the
	# answer
	export RES_OPTIONS="timeout:1 attempts:1"
	frj() { # frj SPEC -- CMD...: fr with --json, may not fire; $inj: rule 0's injected
		local spec=$1
		shift 2
		"$FAULTRUN" exec -q --may-not-fire --json "$D/run.json" -f "$spec" -- "$@" \
			>"$D/out" 2>"$D/err"
		rc=$?
		inj=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rules"][0]["injected"])' \
			"$D/run.json" 2>/dev/null)
	}
	# the lines for calls of NAME alone (not the *querydomain ones)
	nq=$(timeout 60 "$DNS_RESQ" localhost localdomain | grep -vc querydomain)

	note "res_query and the rest: control (a rule for another name): every call made"
	frj "resolve error=EAI_FAIL query=db.internal" -- "$DNS_RESQ" localhost localdomain
	check "dns-resq exits 0" succeeded
	check "every call returned" [ "$(grep -c '' "$D/out")" -eq $((nq + 2)) ]
	check "nothing injected" [ "$inj" = 0 ]

	note "error=EAI_FAIL: -1 and h_errno NO_RECOVERY (3), statp->res_h_errno too"
	frj "resolve error=EAI_FAIL query=localhost" -- "$DNS_RESQ" localhost localdomain
	check "res_query -1 3" out_has "^res_query -1 3$"
	check "res_search -1 3" out_has "^res_search -1 3$"
	check "res_nquery -1 3 3" out_has "^res_nquery -1 3 3$"
	check "res_nsearch -1 3 3" out_has "^res_nsearch -1 3 3$"
	check "querydomain asks for localhost.localdomain: not selected" \
		not_out_has "^res_querydomain -1 3$"
	check "each call of localhost counted ($nq)" [ "$inj" = "$nq" ]
	if grep -q '^__res_query' "$D/out"; then
		check "__res_query@GLIBC_2.2.5 (linked before glibc 2.34): -1 3" \
			out_has "^__res_query -1 3$"
	fi

	note "error=EAI_AGAIN: TRY_AGAIN (2); error=EAI_NONAME: HOST_NOT_FOUND (1)"
	frj "resolve error=EAI_AGAIN query=LocalHost" -- "$DNS_RESQ" localhost localdomain
	check "res_query -1 2" out_has "^res_query -1 2$"
	check "res_nsearch -1 2 2" out_has "^res_nsearch -1 2 2$"
	frj "resolve error=EAI_NONAME query=localhost" -- "$DNS_RESQ" localhost localdomain
	check "res_query -1 1" out_has "^res_query -1 1$"
	check "res_nquery -1 1 1" out_has "^res_nquery -1 1 1$"
	check "each call counted" [ "$inj" = "$nq" ]

	note "res_querydomain is decided on name.domain"
	frj "resolve error=EAI_AGAIN query=db.example.com" -- "$DNS_RESQ" db Example.COM.
	check "res_querydomain -1 2" out_has "^res_querydomain -1 2$"
	check "res_nquerydomain -1 2 2" out_has "^res_nquerydomain -1 2 2$"
	check "only those two (res_query asks for db)" [ "$inj" = 2 ]
	check "the event's where: db.example.com" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
sys.exit(not ev or any(e["where"] != "db.example.com" for e in ev))' "$D/run.json"

	note "delay: counted, then the real call"
	frj "resolve delay=50ms query=localhost" -- "$DNS_RESQ" localhost localdomain
	check "dns-resq exits 0" succeeded
	check "every call returned" [ "$(grep -c '' "$D/out")" -eq $((nq + 2)) ]
	check "each call of localhost delayed" [ "$inj" = "$nq" ]
else
	fail "DNS_RESQ is not set (tests/meson.build builds dns-resq)"
fi

note "delay: the lookup is counted as injected, then succeeds"
"$FAULTRUN" exec -q --json "$D/run.json" -f "resolve delay=100ms query=localhost" -- \
	python3 "$D/gai.py" localhost >"$D/out" 2>"$D/err"
rc=$?
check "faultrun exits 0" succeeded
check "localhost resolves after the delay" out_has "^resolved localhost"
check "the event: op resolve, action delay, where localhost" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
sys.exit(not any(e["op"] == "resolve" and e["action"] == "delay" and e["where"] == "localhost" for e in ev))' "$D/run.json"
"$FAULTRUN" exec -q --json "$D/run.json" -f "resolve error=EAI_AGAIN query=localhost" -- \
	python3 "$D/gai.py" localhost >"$D/out" 2>"$D/err"
check "an error's event names EAI_AGAIN" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
sys.exit(not any(e["errno"] == "EAI_AGAIN" and e["where"] == "localhost" for e in ev))' "$D/run.json"

note "stall: the lookup waits while armed, and completes after ctl disarm"
cat >"$D/stall.py" <<'EOF'
import os, socket, sys, threading, time
done = []
t = threading.Thread(target=lambda: done.append(socket.getaddrinfo("localhost", 80)), daemon=True)
t.start()
t.join(1.0)
print("blocked" if t.is_alive() else "not blocked", flush=True)
open(sys.argv[1], "w").close()
t.join(20.0)
print("resolved" if done else "still blocked", flush=True)
EOF
rm -f "$D/stalled"
"$FAULTRUN" exec -q -f "name=dns resolve stall query=localhost" -- \
	python3 "$D/stall.py" "$D/stalled" >"$D/out" 2>"$D/err" &
run=$!
for _ in $(seq 200); do
	[ -e "$D/stalled" ] && break
	sleep 0.05
done
"$FAULTRUN" ctl --run "$run" disarm dns >/dev/null
wait "$run"
rc=$?
check "faultrun exits 0" succeeded
check "blocked while the rule was armed" out_has "^blocked"
check "resolved once it was disarmed" out_has "^resolved"

note "stall=DURATION bounds the wait by itself"
fr "resolve stall=300ms query=localhost" -- python3 "$D/gai.py" localhost
check "resolved after the bound" out_has "^resolved localhost"
finish
