#!/bin/bash
# A real HAProxy from io/haproxy.c's generated configuration, in front of
# two python3 backends whose /health the test turns red (500), hung or off
# (the backend killed) by creating files: traffic goes through, a failing
# backend leaves the rotation and comes back, with none left clients get
# the configured 502 (or HAProxy's 503), and the stats poller sees every
# transition, never hanging on a stopped HAProxy. Every wait has a
# deadline far beyond fall x interval: a bound on a hang, not a timing
# assertion.
#
# env: LB_TOOL (tests/lb/lb-tool). Exit 77 without haproxy, curl, python3.
set -u
here=$(dirname "$0")
. "$here/test-lb-lib.sh"

run=$(mktemp -d /tmp/faultrun-test-lb-XXXXXX)
cleanup() {
	stop_tracked
	rm -rf "$run"
}
trap cleanup EXIT

sock=$run/stats.sock
lb_port=$(free_port)
lb=http://127.0.0.1:$lb_port

# backend NAME: starts it on a free port, sets port_NAME and pid_NAME
backend() {
	local p
	p=$(free_port)
	python3 "$here/backend.py" "$1" "$p" "$run" &
	track $!
	eval "port_$1=$p pid_$1=$!"
	wait_http "http://127.0.0.1:$p/" 10 || fail "backend $1 answers"
}

# start_lb DOWN_STATUS: writes the configuration, starts HAProxy, sets hap
start_lb() {
	local cfg
	cfg=$("$LB_TOOL" conf "$run" --sock "$sock" --listen "$lb_port" --name web \
		--backend "b1=127.0.0.1:$port_b1" --backend "b2=127.0.0.1:$port_b2" \
		--check /health --interval 200 --timeout 500 --rise 2 --fall 2 \
		--down "$1") || { fail "the configuration is written"; return 1; }
	check "the configuration is mode 0600" [ "$(stat -c %a "$cfg")" = 600 ]
	check "haproxy -c accepts it" "$haproxy" -c -q -f "$cfg"
	mapfile -t cmd < <("$LB_TOOL" argv "$cfg")
	check "it runs in the foreground: -db" [ "${cmd[1]}" = -db ]
	"${cmd[@]}" 2>>"$run/haproxy.log" &
	hap=$!
	track "$hap"
	check "HAProxy ($1) is ready: its stats socket answers show info" \
		wait_for 10 "$LB_TOOL" ready "$sock" 500
	check "... and it is the process we started (no daemon)" alive "$hap"
}

# state_is SERVER STATE [CHECK]: one "show stat" row, e.g. web_backends/b1 DOWN
state_is() {
	"$LB_TOOL" stat "$sock" 2>/dev/null | grep -q "^web_backends/$1 $2 .*${3:-}"
}
watched() { grep -q -- "$1" "$run/watch.log"; }
served_by() { curl -s -m 5 "$lb/" | grep -q "backend $1"; }
code_is() { [ "$(http_code "$lb/" 5)" = "$1" ]; }
# only_b2: ten requests, all answered by b2
only_b2() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do served_by b2 || return 1; done
}
both_serve() {
	local i seen=""
	for i in 1 2 3 4 5 6; do seen="$seen $(curl -s -m 5 "$lb/")"; done
	[[ $seen == *"backend b1"* && $seen == *"backend b2"* ]]
}

backend b1
backend b2
start_lb 502
"$LB_TOOL" watch "$sock" 100 110 >"$run/watch.log" 2>&1 &
watcher=$!
track "$watcher"

# ---- traffic goes through, round robin -------------------------------------
check "a request through HAProxy answers 200" code_is 200
check "both backends serve" both_serve
check "show stat: b1 UP after an HTTP check" state_is b1 UP L7OK/200
check "the poller saw b1 come UP" wait_for 10 watched "web_backends/b1 unknown -> UP L7OK/200"
check "the poller saw the backend UP" wait_for 10 watched "web_backends/BACKEND unknown -> UP"

# ---- a red health check takes b1 out, and back in after rise checks --------
touch "$run/b1.sick"
check "b1 goes DOWN on /health 500 (L7STS/500)" wait_for 20 state_is b1 DOWN L7STS/500
check "the poller recorded b1 UP -> DOWN" wait_for 10 watched "web_backends/b1 UP -> DOWN L7STS/500"
check "traffic goes to b2 only" only_b2
rm "$run/b1.sick"
check "b1 comes back UP after rise checks" wait_for 20 state_is b1 UP L7OK/200
check "the poller recorded b1 DOWN -> UP" wait_for 10 watched "web_backends/b1 DOWN -> UP L7OK/200"
check "both backends serve again" wait_for 10 both_serve

# ---- a hung health check is a check timeout --------------------------------
touch "$run/b1.hang"
check "b1 goes DOWN on a hung /health (L7TOUT)" wait_for 20 state_is b1 DOWN L7TOUT
rm "$run/b1.hang"
check "b1 comes back UP" wait_for 20 state_is b1 UP

# ---- no healthy backend: the configured 502 ---------------------------------
touch "$run/b1.sick"
kill -TERM "$pid_b2"
check "b2, killed, goes DOWN (L4CON: connection refused)" wait_for 20 state_is b2 DOWN L4CON
check "b1 is DOWN" wait_for 20 state_is b1 DOWN
check "the poller recorded the backend DOWN" wait_for 10 watched "web_backends/BACKEND UP -> DOWN"
check "clients get 502 with no healthy backend" code_is 502
check "... HAProxy logged it (stderr)" grep -q "NOSRV.* 502 " "$run/haproxy.log"

# ---- HAProxy stopped (SIGSTOP): queries give up, never hang -----------------
kill -STOP "$hap"
check "show stat on a stopped HAProxy fails within its timeout" \
	not timeout 10 "$LB_TOOL" stat "$sock"
check "the poller reports the socket silent" wait_for 10 watched "no answer in"
kill -CONT "$hap"
check "the poller sees it answer again" wait_for 10 watched "answers again"
# after a loss every backend's state is reported afresh, from unknown
check "... and reports b1's state again, from unknown" wait_for 10 \
	sh -c "sed -n '/answers again/,\$p' '$run/watch.log' | grep -q 'web_backends/b1 unknown -> DOWN'"

# ---- SIGUSR1 stops it (soft stop), exit 0 ----------------------------------
kill -USR1 "$hap"
check "HAProxy exits on SIGUSR1" wait_gone "$hap" 10
wait "$hap"
check "... with status 0" [ $? = 0 ]
# the loss is reported once, with the first failure's reason: refused or
# gone when HAProxy had exited between two queries, a reset or "no answer
# in" when it exited during one (seen under the ASan pass on a loaded machine)
check "the poller reports the socket gone" wait_for 10 \
	sh -c "sed -n '/answers again/,\$p' '$run/watch.log' | grep -q \"stats socket '\""
check "the poller is still running (never blocked)" alive "$watcher"

# ---- the same with HAProxy's own 503 ------------------------------------------
backend b2
start_lb 503
touch "$run/b2.sick"
check "with 503: the backend goes DOWN" wait_for 20 state_is BACKEND DOWN
check "clients get HAProxy's 503 with no healthy backend" code_is 503
check "... its own page" wait_for 5 eval 'curl -s -m 5 "$lb/" | grep -q "No server is available"'
rm "$run/b2.sick"
check "b2 back UP: traffic again" wait_for 20 code_is 200
# SIGTERM is HAProxy's hard stop: it does not catch it and dies of it
kill -TERM "$hap"
check "HAProxy exits on SIGTERM" wait_gone "$hap" 10
wait "$hap"
check "... killed by SIGTERM (143)" [ $? = 143 ]

finish
