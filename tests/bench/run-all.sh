#!/bin/bash
# One table of what faultrun's shim costs, beside its peers, per call and
# per workload (docs/performance.md, "Summary").
#
#   tests/bench/run-all.sh [--quick] [--only calls|workloads|nginx|seccomp] [--out FILE] [BUILD]
#
# --only measures one part of the table (the others are left out).
# (tools/bench runs it; so does `meson test -C BUILD --benchmark bench-all`.)
# BUILD is a built tree (default: build); nothing is built here. Modes,
# the table's columns:
#   plain      the program alone
#   noop       under a do-nothing LD_PRELOAD (noop-preload.so: each wrapper
#              calls the next symbol): the floor of any preload
#   paused     faultrun exec --paused with a rule loaded, nothing armed
#   elsewhere  a rule armed for what the program does not touch
#              ('write errno=EIO path=/nonexistent/**', the call's own
#              operation for read and open; 'send,recv stall port=1' for
#              sockets)
#   prob0      a rule matching the program's calls with probability=0:
#              decided on every call, never injected
#   inject     (write only) every write fails with EIO: an injected call
#   fiu        fiu-run -x (libfiu's POSIX preload, nothing enabled)
#   strace     strace -f with an injection armed for a call the program
#              never makes: every system call stops in the tracer, which
#              is what ptrace-based injection costs
# The seccomp part has its own table and modes: the shim's beside
# `faultrun exec --backend seccomp` with no write rule (the filter only),
# paused, armed elsewhere and injecting, and strace injecting with and
# without --seccomp-bpf (see "the seccomp backend" below).
# A peer that is missing (fiu-run, strace, wrk, nginx, sqlite3, valgrind)
# is a '-' with a note under the table, never a failure.
#
# Per call: instructions from callgrind (runs of M and 2M calls; the
# difference divided by the calls it adds, so start-up cancels), shown as
# extra instructions over plain; wall: each round runs every mode once
# (plain first), and the figure is the median over rounds of the mode's
# ns/call divided by the same round's plain (strace rows run N/20 calls).
# Workloads: the median over rounds of the command's wall time divided by
# the round's plain; nginx: requests/s under wrk divided by the round's
# plain (higher is better there).
set -u
quick=0 out="" B=build only=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--only) only=${2:?--only needs calls, workloads, nginx or seccomp}; shift ;;
	--only=*) only=${1#--only=} ;;
	--out) out=${2:?--out needs a FILE}; shift ;;
	--out=*) out=${1#--out=} ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-all.sh: unknown option '$1'" >&2; exit 2 ;;
	*) B=$1 ;;
	esac
	shift
done
case $only in
"" | calls | workloads | nginx | seccomp) ;;
*) echo "run-all.sh: --only '$only': not calls, workloads, nginx or seccomp" >&2; exit 2 ;;
esac
# part NAME: whether this run measures that part of the table
part() { [ -z "$only" ] || [ "$only" = "$1" ]; }
B_ARG=$B
B=$(cd "$B" 2>/dev/null && pwd) || { echo "run-all.sh: no build directory '$B_ARG'" >&2; exit 2; }
FR=$B/harness/cli/faultrun
SHIM=$B/harness/shim/libfaultshim.so
BC=$B/tests/bench-call
BS=$B/tests/bench-sock
NOOP=$B/tests/noop-preload.so
for f in "$FR" "$SHIM" "$BC" "$BS" "$NOOP"; do
	[ -e "$f" ] || { echo "run-all.sh: $f is missing: meson compile -C $B first" >&2; exit 2; }
done
export FAULTRUN_SHIM=$SHIM

if [ $quick = 1 ]; then
	ROUNDS=3 WROUNDS=3 NROUNDS=1 WRK_SECS=2 SCALE=4
	SROUNDS=5 SEC_N=10000 SEC_DD=8000
else
	ROUNDS=5 WROUNDS=5 NROUNDS=3 WRK_SECS=5 SCALE=1
	SROUNDS=11 SEC_N=50000 SEC_DD=40000
fi

tmp=$(mktemp -d)
nginx_pid=""
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- peers -----------------------------------------------------------------
notes=()
have() { command -v "$1" >/dev/null 2>&1; }
STRACE=(strace -f -qq -o /dev/null -e inject=vhangup:error=EIO)
have_fiu=0 have_strace=0 have_cg=0 have_sqlite=0 have_nginx=0
if have fiu-run && fiu-run -x /bin/true 2>/dev/null; then have_fiu=1
else notes+=("fiu-run -x: not installed (Debian fiu-utils)"); fi
if have strace && "${STRACE[@]}" /bin/true 2>/dev/null; then have_strace=1
else notes+=("strace: not installed, or without -e inject"); fi
if have valgrind; then have_cg=1
else notes+=("instructions: valgrind not installed"); fi
if have sqlite3; then have_sqlite=1
else notes+=("sqlite3: not installed"); fi
if have nginx && have wrk; then have_nginx=1
else notes+=("nginx under wrk: needs nginx and wrk (Debian nginx, wrk)"); fi

MODES=(plain noop paused elsewhere prob0 inject fiu strace)
# usable MODE: whether this machine can run the mode at all
usable() {
	case $1 in
	fiu) [ $have_fiu = 1 ] ;;
	strace) [ $have_strace = 1 ] ;;
	*) true ;;
	esac
}

# The rules of the row being measured (-f SPEC words)
ELSE=() PROB0=() INJ=()

# run MODE CMD...: CMD in that mode
run() {
	local m=$1
	shift
	case $m in
	plain) "$@" ;;
	noop) LD_PRELOAD=$NOOP${LD_PRELOAD:+:$LD_PRELOAD} "$@" ;;
	paused) "$FR" exec -q --paused --may-not-fire "${ELSE[@]}" -- "$@" ;;
	elsewhere) "$FR" exec -q --may-not-fire "${ELSE[@]}" -- "$@" ;;
	prob0) "$FR" exec -q --may-not-fire "${PROB0[@]}" -- "$@" ;;
	inject) "$FR" exec -q "${INJ[@]}" -- "$@" ;;
	fiu) fiu-run -x "$@" ;;
	strace) "${STRACE[@]}" "$@" ;;
	esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
ns_of() { sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p'; }
# ratio A B: A / B, or nothing if either is missing
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.4f\n", a / b }'; }

declare -A cell

# ---- per call ----------------------------------------------------------------
# callgrind_total MODE CMD...: instructions of the whole run
callgrind_total() {
	local m=$1 f
	shift
	f=$tmp/cg.out
	rm -f "$f"
	# output to a file, not /dev/null: the inject mode's rule fails writes
	# to /dev/null, the program's own report included (its exit was 1)
	run "$m" valgrind --tool=callgrind --callgrind-out-file="$f" "$@" >"$tmp/cg.stdout" 2>&1 ||
		return 1
	awk '/^(summary|totals):/ { print $2; exit }' "$f"
}

# percall ROW N M CALLS CMD...: one row. The word N in CMD becomes the
# number of calls; CALLS is an awk expression of n giving the calls a run
# of n makes; M the callgrind length. For the inject mode, CMD's word
# "write" becomes "fail".
percall() {
	local row=$1 n=$2 M=$3 calls=$4 m r a b ns base
	shift 4
	local cmd=("$@") icmd=() w
	for w in "$@"; do
		[ "$w" = write ] && w=fail
		icmd+=("$w")
	done
	declare -A walls=()
	for ((r = 0; r < ROUNDS; r++)); do
		for m in "${MODES[@]}"; do
			usable "$m" || continue
			[ "$m" = inject ] && [ ${#INJ[@]} = 0 ] && continue
			local c=("${cmd[@]}") k=$n
			[ "$m" = inject ] && c=("${icmd[@]}")
			[ "$m" = strace ] && k=$((n / 20))
			ns=$(run "$m" "${c[@]/#N/$k}" | ns_of)
			[ -n "$ns" ] || { echo "run-all.sh: $row: $m failed" >&2; continue; }
			[ "$m" = plain ] && base=$ns
			walls[$m]+="$(ratio "$ns" "$base") "
			[ "$m" = plain ] && walls[plain_ns]+="$ns "
		done
	done
	for m in "${MODES[@]}"; do
		[ -n "${walls[$m]:-}" ] || continue
		cell[$row,$m,wall]=$(echo "${walls[$m]}" | tr ' ' '\n' | grep . | median)
	done
	cell[$row,plain,ns]=$(echo "${walls[plain_ns]:-}" | tr ' ' '\n' | grep . | median)
	[ $have_cg = 1 ] || return 0
	local d
	d=$(awk -v M="$M" "BEGIN { n = M; a = $calls; n = 2 * M; b = $calls; print b - a }")
	for m in "${MODES[@]}"; do
		usable "$m" || continue
		[ "$m" = strace ] && continue # ptrace's cost is in the kernel and the tracer
		[ "$m" = inject ] && [ ${#INJ[@]} = 0 ] && continue
		local c=("${cmd[@]}")
		[ "$m" = inject ] && c=("${icmd[@]}")
		a=$(callgrind_total "$m" "${c[@]/#N/$M}") &&
			b=$(callgrind_total "$m" "${c[@]/#N/$((2 * M))}") &&
			cell[$row,$m,ir]=$(((b - a) / d))
	done
}

log() { printf '%s\n' "$*" >&2; }
rows_call=()
# call_row ROW N M CALLS ELSE PROB0 INJ CMD...: set the rules, measure
call_row() {
	part calls || return 0
	local row=$1 n=$2 M=$3 calls=$4
	ELSE=(); PROB0=(); INJ=()
	local e p i
	IFS='|' read -r -a e <<<"$5"
	IFS='|' read -r -a p <<<"$6"
	IFS='|' read -r -a i <<<"$7"
	for e in "${e[@]}"; do ELSE+=(-f "$e"); done
	for p in "${p[@]}"; do PROB0+=(-f "$p"); done
	for i in "${i[@]}"; do INJ+=(-f "$i"); done
	shift 7
	log "bench: $row"
	rows_call+=("$row")
	percall "$row" $((n / SCALE)) "$M" "$calls" "$@"
}

mkdir -p "$tmp/a/b/c/d/e/f/g" && : >"$tmp/a/b/c/d/e/f/g/file"
file=$tmp/a/b/c/d/e/f/g/file
# 64 rules elsewhere; with probability 0, 63 of them and the matching one
# (faultrun exec takes at most 64)
many="" many63=""
for ((k = 0; k < 64; k++)); do
	many+="${many:+|}open,read,write errno=EIO path=/nonexistent/d$k/**"
	[ $k = 63 ] || many63=$many
done
NOWHERE='write errno=EIO path=/nonexistent/**'

call_row "write" 400000 20000 'n + int(n / 10)' \
	"$NOWHERE" 'write errno=EIO probability=0 path=/dev/null' \
	'write errno=EIO path=/dev/null' "$BC" write N
call_row "read" 400000 20000 'n + int(n / 10)' \
	'read errno=EIO path=/nonexistent/**' 'read errno=EIO probability=0 path=/dev/zero' \
	'' "$BC" read N
call_row "fwrite (buffered)" 4000000 200000 'n + int(n / 10)' \
	"$NOWHERE" 'write errno=EIO probability=0 path=/dev/null' \
	'' "$BC" fwrite N
call_row "open+close, 1 rule" 40000 10000 'n + int(n / 10)' \
	'open,read,write errno=EIO path=/nonexistent/**' \
	"open errno=EIO probability=0 path=$file" '' "$BC" open N "$file"
call_row "open+close, 64 rules" 20000 5000 'n + int(n / 10)' \
	"$many" "$many63|open errno=EIO probability=0 path=$file" '' "$BC" open N "$file"
# a file's first call after its open: a log line appended by opening the file
call_row "open+write+close, 1 rule" 40000 10000 'n + int(n / 10)' \
	'open,read,write errno=EIO path=/nonexistent/**' \
	"write errno=EIO probability=0 path=$file" '' "$BC" openw N "$file"
call_row "send/recv" 40000 10000 '2 * (n + int(n / 10) + 1)' \
	'send,recv stall port=1' 'send,recv errno=ECONNRESET probability=0' \
	'' "$BS" io N
call_row "poll" 200000 20000 'n + int(n / 10) + 1' \
	'send,recv stall port=1' 'send,recv stall probability=0' '' "$BS" poll N
call_row "epoll_wait" 200000 20000 'n + int(n / 10) + 1' \
	'send,recv stall port=1' 'send,recv stall probability=0' '' "$BS" epoll N

# ---- workloads ---------------------------------------------------------------
# Every workload runs with the same rules: a write rule for another tree
# (elsewhere, paused) and a read/write rule matching every call with
# probability 0.
ELSE=(-f "$NOWHERE")
PROB0=(-f 'read,write errno=EIO probability=0')
INJ=()
rows_work=()

# Inputs: a tree for tar, SQL for sqlite3
for ((d = 0; d < 40; d++)); do
	mkdir -p "$tmp/tree/d$d"
	for ((f = 0; f < 25; f++)); do
		head -c 2048 /dev/zero >"$tmp/tree/d$d/f$f"
	done
done
n_txn=$((20000 / SCALE)) n_auto=$((200 / SCALE))
{
	echo 'create table t(a integer, b text); begin;'
	for ((i = 0; i < n_txn; i++)); do echo "insert into t values($i, 'row $i');"; done
	echo 'commit;'
} >"$tmp/txn.sql"
{
	echo 'create table t(a integer, b text);'
	for ((i = 0; i < n_auto; i++)); do echo "insert into t values($i, 'row $i');"; done
} >"$tmp/auto.sql"
n_dd=$((100000 / SCALE)) n_spawn=$((200 / SCALE))

# work_argv ROW: the workload's command into WCMD (and a clean slate for it)
work_argv() {
	case $1 in
	dd) WCMD=(dd if=/dev/zero of="$tmp/dd.out" bs=1 count=$n_dd status=none) ;;
	txn) rm -f "$tmp/db" && WCMD=(sqlite3 "$tmp/db" ".read $tmp/txn.sql") ;;
	auto) rm -f "$tmp/db" && WCMD=(sqlite3 "$tmp/db" ".read $tmp/auto.sql") ;;
	tar) WCMD=(tar -C "$tmp" -cf "$tmp/out.tar" tree) ;;
	spawn) WCMD=(sh -c "i=0; while [ \$i -lt $n_spawn ]; do /bin/true; i=\$((i + 1)); done") ;;
	true) WCMD=(/bin/true) ;;
	esac
}
declare -A work_title=(
	[dd]="dd bs=1 count=$n_dd"
	[txn]="sqlite3, $n_txn inserts in one transaction"
	[auto]="sqlite3, $n_auto inserts in autocommit"
	[tar]="tar c of 1,000 files"
	[spawn]="sh loop spawning /bin/true × $n_spawn"
	[true]="start-up: /bin/true"
)
works=(dd tar spawn true)
[ $have_sqlite = 1 ] && works=(dd txn auto tar spawn true)

# timed MODE ROW: wall seconds of one run, or nothing if it failed
timed() {
	local t0 t1
	work_argv "$2"
	t0=$EPOCHREALTIME
	run "$1" "${WCMD[@]}" >/dev/null 2>&1 </dev/null || return 1
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

declare -A wwall=()
part workloads || works=()
for w in "${works[@]}"; do
	rows_work+=("${work_title[$w]}")
done
for ((r = 0; r < WROUNDS; r++)); do
	[ ${#works[@]} = 0 ] && break
	log "bench: workloads, round $((r + 1))/$WROUNDS"
	for w in "${works[@]}"; do
		# start-up is a short run: more of them
		reps=1
		[ "$w" = true ] && reps=10
		for ((q = 0; q < reps; q++)); do
			for m in "${MODES[@]}"; do
				usable "$m" && [ "$m" != inject ] || continue
				s=$(timed "$m" "$w") || { log "bench: $w: $m failed"; continue; }
				[ "$m" = plain ] && base=$s && wwall[$w,plain_s]+="$s "
				wwall[$w,$m]+="$(ratio "$s" "$base") "
			done
		done
	done
done
for w in "${works[@]}"; do
	row=${work_title[$w]}
	for m in "${MODES[@]}"; do
		[ -n "${wwall[$w,$m]:-}" ] || continue
		cell[$row,$m,wall]=$(echo "${wwall[$w,$m]}" | tr ' ' '\n' | grep . | median)
	done
	cell[$row,plain,s]=$(echo "${wwall[$w,plain_s]}" | tr ' ' '\n' | grep . | median)
done

# ---- nginx under wrk -----------------------------------------------------------
nginx_row="nginx, static file, wrk -t1 -c8 -d${WRK_SECS}s"
nginx_cpu_row="nginx, CPU per request (the same runs)"
nginx_ir_row="nginx, instructions per request (callgrind, keep-alive GETs)"
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# cpu_ns PID...: CPU time the processes have used, in ns (the first field
# of /proc/PID/schedstat: exact, unlike the clock ticks of /proc/PID/stat)
cpu_ns() {
	local p t=0 v
	for p in "$@"; do
		read -r v _ <"/proc/$p/schedstat" 2>/dev/null && t=$((t + v))
	done
	echo "$t"
}
# nginx_start MODE DIR [WRAP...]: a private nginx serving a 1 KiB page
# from DIR, started in MODE (through WRAP, e.g. valgrind, when given);
# its port in $ng_port, the wrapper's pid in $nginx_pid once it answers.
# One worker process, or with NGINX_SINGLE=1 one process in all.
nginx_start() {
	local m=$1 ng=$2 i
	shift 2
	ng_port=$(free_port) || return 1
	rm -rf "$ng" && mkdir -p "$ng/www" && head -c 1024 /dev/zero | tr '\0' x >"$ng/www/index.html"
	{
		if [ "${NGINX_SINGLE:-0}" = 1 ]; then echo "master_process off;"; else echo "worker_processes 1;"; fi
		echo "daemon off; pid $ng/nginx.pid;"
		# as root, the worker would switch to nobody, who cannot read $tmp
		[ "$(id -u)" = 0 ] && echo "user root;"
		echo "events { worker_connections 64; }"
		echo "http { access_log off; default_type text/html;"
		for t in client_body proxy fastcgi uwsgi scgi; do echo "${t}_temp_path $ng/$t;"; done
		echo "server { listen 127.0.0.1:$ng_port; root $ng/www; } }"
	} >"$ng/nginx.conf"
	# the shim's rules for a server: sockets
	ELSE=(-f 'send,recv stall port=1')
	PROB0=(-f 'send,recv errno=ECONNRESET probability=0')
	run "$m" "$@" nginx -p "$ng" -e "$ng/error.log" -c "$ng/nginx.conf" </dev/null >"$ng/out" 2>&1 &
	nginx_pid=$!
	for ((i = 0; i < 300; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$ng_port/" && break
		sleep 0.1
	done
}

# nginx_stop MODE DIR: QUIT, a graceful stop (nginx(8)); the wrapper
# (faultrun, strace, fiu-run's exec, valgrind) ends with it
nginx_stop() {
	local m=$1 ng=$2 i
	[ -s "$ng/nginx.pid" ] && kill -QUIT "$(cat "$ng/nginx.pid")" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$nginx_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$nginx_pid" 2>/dev/null && { log "bench: nginx ($m) did not stop: killed"; kill -KILL "$nginx_pid"; }
	wait "$nginx_pid" 2>/dev/null
	nginx_pid=""
}

# nginx_rps MODE: "requests/s CPU-ns/request" of wrk against nginx started
# in that mode. Requests/s moves with whatever else the two cores run; the
# CPU nginx's processes use per request moves far less, and says what the
# shim costs nginx itself.
nginx_rps() {
	local m=$1 ng=$tmp/nginx rps out master pids c0 c1 nreq
	nginx_start "$m" "$ng" || return 1
	master=$(cat "$ng/nginx.pid" 2>/dev/null)
	pids="$master $(pgrep -P "$master" 2>/dev/null | tr '\n' ' ')"
	# shellcheck disable=SC2086
	c0=$(cpu_ns $pids)
	out=$(wrk -t1 -c8 -d"${WRK_SECS}s" "http://127.0.0.1:$ng_port/" 2>/dev/null)
	# shellcheck disable=SC2086
	c1=$(cpu_ns $pids)
	rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
	nreq=$(echo "$out" | awk '/requests in/ { print $1 }')
	nginx_stop "$m" "$ng"
	[ -n "$rps" ] || { log "bench: nginx ($m): no wrk result ($(tail -1 "$ng/error.log" 2>/dev/null))"; return 1; }
	echo "$rps $(awk -v c=$((c1 - c0)) -v n="${nreq:-0}" 'BEGIN { if (n > 0 && c > 0) printf "%.1f", c / n }')"
}
# nginx_instr MODE N: instructions of one nginx process (master_process
# off) serving N keep-alive GETs from python3, under callgrind: the
# difference of N and 2N divided by N is what a request costs in user
# space, start-up cancelled, whatever else the machine runs
nginx_instr() {
	local m=$1 n=$2 ng=$tmp/nginx-ir
	NGINX_SINGLE=1 nginx_start "$m" "$ng" valgrind --tool=callgrind \
		--callgrind-out-file="$ng/cg.out" || return 1
	python3 - "$ng_port" "$n" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
for _ in range(int(sys.argv[2])):
    c.request("GET", "/")
    c.getresponse().read()
PY
	nginx_stop "$m" "$ng"
	awk '/^(summary|totals):/ { print $2; exit }' "$ng/cg.out" 2>/dev/null
}
if [ $have_nginx = 1 ] && [ $have_cg = 1 ] && part nginx; then
	rows_call+=("$nginx_ir_row")
	k=$((2000 / SCALE))
	log "bench: nginx under callgrind"
	for m in "${MODES[@]}"; do
		usable "$m" && [ "$m" != inject ] && [ "$m" != strace ] || continue
		a=$(nginx_instr "$m" "$k") && b=$(nginx_instr "$m" $((2 * k))) &&
			[ -n "$a" ] && [ -n "$b" ] && cell[$nginx_ir_row,$m,ir]=$(((b - a) / k))
	done
fi
if [ $have_nginx = 1 ] && part nginx; then
	rows_work+=("$nginx_row" "$nginx_cpu_row")
	declare -A nrps=() ncpu=()
	for ((r = 0; r < NROUNDS; r++)); do
		log "bench: nginx, round $((r + 1))/$NROUNDS"
		for m in "${MODES[@]}"; do
			usable "$m" && [ "$m" != inject ] || continue
			v=$(nginx_rps "$m") || continue
			read -r v cpu <<<"$v"
			[ "$m" = plain ] && base=$v && nrps[plain_rps]+="$v "
			[ "$m" = plain ] && cbase=$cpu && ncpu[plain_ns]+="$cpu "
			nrps[$m]+="$(ratio "$v" "$base") "
			# plain's CPU per request over the mode's: higher is better, as for req/s
			[ -n "$cpu" ] && ncpu[$m]+="$(ratio "$cbase" "$cpu") "
		done
	done
	for m in "${MODES[@]}"; do
		[ -n "${nrps[$m]:-}" ] &&
			cell[$nginx_row,$m,wall]=$(echo "${nrps[$m]}" | tr ' ' '\n' | grep . | median)
		[ -n "${ncpu[$m]:-}" ] &&
			cell[$nginx_cpu_row,$m,wall]=$(echo "${ncpu[$m]}" | tr ' ' '\n' | grep . | median)
	done
	cell[$nginx_row,plain,rps]=$(echo "${nrps[plain_rps]:-}" | tr ' ' '\n' | grep . | median)
	cell[$nginx_cpu_row,plain,cpu]=$(echo "${ncpu[plain_ns]:-}" | tr ' ' '\n' | grep . | median)
fi

# ---- the seccomp backend ---------------------------------------------------------
# `faultrun exec --backend seccomp` (docs/seccomp.md) beside plain, the shim
# and strace, for a dynamic writer (bench-call write), dd bs=1 and a static
# writer (bench-call-static). Every filtered call goes to faultrun's
# supervisor and back, so the cost is in the kernel and in another process:
# callgrind sees neither, so these rows are wall time and CPU time only.
# Each round runs every mode once (plain first); wall: the median over
# rounds of the mode's µs per call over the same round's plain. CPU: two
# bench-rusage (wait4), one around the whole mode's command and one around
# the program inside it: the inner is the program's own CPU (user and
# system: the filter and the notification round trips are system time of
# the program), the outer minus the inner is faultrun's (the supervisor)
# or strace's. A run of 10 calls in the same mode is subtracted from each
# figure: start-up cancels.
SMODES=(plain paused elsewhere secnone secpaused secelse secinject strace stracebpf)
declare -A smode_title=(
	[plain]="plain" [paused]="shim paused" [elsewhere]="shim armed elsewhere"
	[secnone]="seccomp, no write rule (BPF only)" [secpaused]="seccomp paused"
	[secelse]="seccomp armed elsewhere" [secinject]="seccomp injecting"
	[strace]="strace inject" [stracebpf]="strace --seccomp-bpf inject"
)
RU=$B/tests/bench-rusage
BCS=$B/tests/bench-call-static
have_bpf=0
if [ $have_strace = 1 ] && strace --seccomp-bpf -f -qq -o /dev/null -e trace=write \
	-e inject=write:error=ENOSPC /bin/true 2>/dev/null; then have_bpf=1
elif part seccomp; then notes+=("strace --seccomp-bpf: needs strace ≥ 5.3"); fi
have_static=1
[ -x "$BCS" ] || { have_static=0; part seccomp && notes+=("static writer: no static libc (bench-call-static not built)"); }
have_sec=1
if part seccomp && ! [ -x "$RU" ]; then
	echo "run-all.sh: $RU is missing: meson compile -C $B first" >&2; exit 2
fi
if part seccomp && ! "$FR" exec -q --backend seccomp --may-not-fire \
	-f 'write errno=EIO path=/nonexistent/**' -- /bin/true 2>"$tmp/sec.err"; then
	have_sec=0
	notes+=("seccomp backend: not usable here ($(head -1 "$tmp/sec.err"))")
fi

# srun MODE SROW CMD...: CMD in that mode of the seccomp rows, through the
# two bench-rusage (outer into $tmp/ru.out, inner into $tmp/ru.in)
srun() {
	local m=$1 row=$2 inner
	shift 2
	inner=("$RU" "$tmp/ru.in" "$@")
	local FRS=("$FR" exec -q --backend seccomp)
	local nw='write errno=EIO path=/nonexistent/**'
	# dd's writes cannot fail (it stops at the first): strace's injection
	# is armed at the 65535th write, which dd bs=1 count<65535 never makes
	local when=""
	[ "$row" = dd ] && when=":when=65535"
	case $m in
	plain) "$RU" "$tmp/ru.out" "${inner[@]}" ;;
	paused) "$RU" "$tmp/ru.out" "$FR" exec -q --paused --may-not-fire -f "$nw" -- "${inner[@]}" ;;
	elsewhere) "$RU" "$tmp/ru.out" "$FR" exec -q --may-not-fire -f "$nw" -- "${inner[@]}" ;;
	secnone) "$RU" "$tmp/ru.out" "${FRS[@]}" --may-not-fire \
		-f 'open errno=EIO path=/nonexistent/**' -- "${inner[@]}" ;;
	secpaused) "$RU" "$tmp/ru.out" "${FRS[@]}" --paused --may-not-fire -f "$nw" -- "${inner[@]}" ;;
	secelse) "$RU" "$tmp/ru.out" "${FRS[@]}" --may-not-fire -f "$nw" -- "${inner[@]}" ;;
	secinject) "$RU" "$tmp/ru.out" "${FRS[@]}" -f 'write errno=ENOSPC path=/dev/null' \
		-- "${inner[@]}" ;;
	strace) "$RU" "$tmp/ru.out" strace -f -qq -o /dev/null \
		-e inject=write:error=ENOSPC$when -- "${inner[@]}" ;;
	stracebpf) "$RU" "$tmp/ru.out" strace --seccomp-bpf -f -qq -o /dev/null -e trace=write \
		-e inject=write:error=ENOSPC$when -- "${inner[@]}" ;;
	esac
}

# susable MODE SROW: whether the row has that mode here
susable() {
	case $1 in
	paused | elsewhere) [ "$2" != static ] ;; # the shim cannot reach a static program
	sec*) [ $have_sec = 1 ] && { [ "$1" != secinject ] || [ "$2" != dd ]; } ;;
	strace) [ $have_strace = 1 ] ;;
	stracebpf) [ $have_bpf = 1 ] ;;
	*) true ;;
	esac
}

# scalls MODE: the calls a bench-call run of that mode makes (N + N/10):
# the fast modes run more of them, so every run takes about as long
scalls() {
	case $1 in
	plain | paused | elsewhere | secnone) echo $((SEC_N * 8)) ;;
	strace | stracebpf) echo $((SEC_N / 5)) ;;
	*) echo "$SEC_N" ;;
	esac
}

# sec_run MODE SROW N: one run of N calls (bench-call: N + N/10 with its
# warm-up; dd: count=N): "ns_per_call wall_s calls cpu_in_ns cpu_out_ns"
sec_run() {
	local m=$1 row=$2 n=$3 calls t0 t1 ns out in
	rm -f "$tmp/ru.out" "$tmp/ru.in"
	t0=$EPOCHREALTIME
	case $row in
	dd)
		calls=$n
		srun "$m" dd dd if=/dev/zero of="$tmp/sdd.out" bs=1 count="$n" status=none \
			</dev/null >/dev/null 2>"$tmp/s.err" || return 1
		ns=0
		;;
	*)
		local prog=$BC call=write
		[ "$row" = static ] && prog=$BCS
		case $m in secinject | strace | stracebpf) call=fail ;; esac
		calls=$((n + n / 10))
		ns=$(srun "$m" "$row" "$prog" "$call" "$n" </dev/null 2>"$tmp/s.err" | ns_of)
		[ -n "$ns" ] || return 1
		;;
	esac
	t1=$EPOCHREALTIME
	out=$(sed -n 's/^cpu_ns=//p' "$tmp/ru.out" 2>/dev/null)
	in=$(sed -n 's/^cpu_ns=//p' "$tmp/ru.in" 2>/dev/null)
	echo "$ns $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') $calls ${in:-0} ${out:-0}"
}

# sec_once MODE SROW: "us_per_call target_cpu_us_per_call wrapper_cpu_us_per_call".
# A run of 10 calls first, subtracted from the long run's CPU (and dd's
# wall time), takes out start-up: faultrun's (a few ms of CPU), the
# program's, the exec of dd.
sec_once() {
	local m=$1 row=$2 n a b
	n=$(scalls "$m")
	# dd's count stays under 65535 (strace's when=, above)
	[ "$row" = dd ] && n=$((n / 5 * 4)) && case $m in strace | stracebpf) n=$SEC_DD ;; esac
	a=$(sec_run "$m" "$row" 10) && b=$(sec_run "$m" "$row" "$n") || return 1
	awk -v a="$a" -v b="$b" -v dd="$([ "$row" = dd ] && echo 1 || echo 0)" 'BEGIN {
		split(a, x, " "); split(b, y, " "); c = y[3] - x[3]
		us = dd ? (y[2] - x[2]) * 1e6 / c : y[1] / 1000
		cpu = (y[4] - x[4]) / c / 1000; sup = ((y[5] - y[4]) - (x[5] - x[4])) / c / 1000
		# what rounds to -0.000 is nothing measurable, not a saving
		printf "%.3f %.3f %.3f\n", us, (cpu * cpu < 2.5e-7 ? 0 : cpu), (sup * sup < 2.5e-7 ? 0 : sup)
	}'
}

rows_sec=()
declare -A srow_title=(
	[dyn]="write(1 byte) to /dev/null, dynamic (bench-call)"
	[static]="write(1 byte) to /dev/null, static (bench-call-static)"
	[dd]="dd bs=1 of=FILE"
)
if part seccomp; then
	rows_sec=(dyn dd)
	[ $have_static = 1 ] && rows_sec+=(static)
fi
declare -A swall=() sus=() scpu=() ssup=()
for ((r = 0; r < ${#rows_sec[@]} * SROUNDS; r++)); do
	row=${rows_sec[r % ${#rows_sec[@]}]}
	[ $((r % ${#rows_sec[@]})) = 0 ] && log "bench: seccomp, round $((r / ${#rows_sec[@]} + 1))/$SROUNDS"
	for m in "${SMODES[@]}"; do
		susable "$m" "$row" || continue
		v=$(sec_once "$m" "$row") || { log "bench: seccomp $row: $m failed ($(head -1 "$tmp/s.err"))"; continue; }
		read -r us cpu sup <<<"$v"
		[ "$m" = plain ] && sbase=$us
		swall[$row,$m]+="$(ratio "$us" "$sbase") "
		sus[$row,$m]+="$us "
		scpu[$row,$m]+="$cpu "
		ssup[$row,$m]+="$sup "
	done
done
smed() { echo "$1" | tr ' ' '\n' | grep . | median; }

sec_table() {
	local row m
	echo "| µs per call (wall) | ${smode_title[plain]}$(for m in "${SMODES[@]:1}"; do printf ' | %s' "${smode_title[$m]}"; done) |"
	echo "| ---$(for m in "${SMODES[@]}"; do printf ' | ---:'; done) |"
	for row in "${rows_sec[@]}"; do
		printf '| %s' "${srow_title[$row]}"
		for m in "${SMODES[@]}"; do
			if [ -z "${swall[$row,$m]:-}" ]; then printf ' | -'; continue; fi
			printf ' | %s µs, %s' "$(smed "${sus[$row,$m]}")" "$(x "$(smed "${swall[$row,$m]}")")"
		done
		echo " |"
	done
	echo
	echo "| CPU µs per call: the program's + faultrun's (or strace's) | ${smode_title[plain]}$(for m in "${SMODES[@]:1}"; do printf ' | %s' "${smode_title[$m]}"; done) |"
	echo "| ---$(for m in "${SMODES[@]}"; do printf ' | ---:'; done) |"
	for row in "${rows_sec[@]}"; do
		printf '| %s' "${srow_title[$row]}"
		for m in "${SMODES[@]}"; do
			if [ -z "${scpu[$row,$m]:-}" ]; then printf ' | -'; continue; fi
			if [ "$m" = plain ]; then
				printf ' | %s' "$(smed "${scpu[$row,$m]}")"
			else
				printf ' | %s + %s' "$(smed "${scpu[$row,$m]}")" "$(smed "${ssup[$row,$m]}")"
			fi
		done
		echo " |"
	done
	echo
	echo "seccomp rows: wall µs per call (the mode's median) and its ratio to plain (median over $SROUNDS interleaved rounds of the round's own ratio); bench-call times its loop; dd: the whole command's wall time less that of a run of 10 calls, per call. CPU: getrusage via wait4 of the program, and of the wrapper around it minus the program (faultrun's supervisor, or strace), less the same figures of a run of 10 calls (start-up cancels), per call made (bench-call: N + N/10 warm-up). No instruction counts: callgrind sees neither the kernel nor the supervisor."
	echo "Calls per run: bench-call $((SEC_N * 8)) (plain, shim, seccomp without a write rule), $SEC_N (seccomp paused, elsewhere, injecting), $((SEC_N / 5)) (strace), plus a tenth to warm up; dd: count=$((SEC_N * 8 / 5 * 4)), $((SEC_N / 5 * 4)) and $SEC_DD. Injecting and strace: every write fails with ENOSPC (bench-call fail); on dd strace's injection waits for the 65535th write, never made, so every write stops in the tracer and none fails."
}

# ---- the table -------------------------------------------------------------------
x() { awk -v r="$1" 'BEGIN { printf "%.2f×", r }'; }
table() {
	local row m c ir wall
	echo "| | plain | noop preload | shim paused | armed elsewhere | prob 0 | injecting | fiu-run -x | strace |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for row in "${rows_call[@]}"; do
		printf '| %s | %s instr, %s ns' "$row" "${cell[$row,plain,ir]:--}" "${cell[$row,plain,ns]:--}"
		for m in "${MODES[@]:1}"; do
			ir=${cell[$row,$m,ir]:-} wall=${cell[$row,$m,wall]:-}
			if [ -z "$ir$wall" ]; then
				c="-"
			else
				c=""
				[ -n "$ir" ] && [ -n "${cell[$row,plain,ir]:-}" ] &&
					c="$(printf '%+d' $((ir - cell[$row,plain,ir])))"
				[ -n "$wall" ] && c="${c:+$c, }$(x "$wall")"
			fi
			printf ' | %s' "$c"
		done
		echo " |"
	done
	for row in "${rows_work[@]}"; do
		if [ "$row" = "$nginx_row" ]; then
			printf '| %s | %s req/s' "$row" "${cell[$row,plain,rps]:--}"
		elif [ "$row" = "$nginx_cpu_row" ]; then
			printf '| %s | %s ns' "$row" "${cell[$row,plain,cpu]:--}"
		else
			printf '| %s | %s s' "$row" \
				"$(awk -v s="${cell[$row,plain,s]:-0}" 'BEGIN { printf (s < 0.1 ? "%.4f" : "%.2f"), s }')"
		fi
		for m in "${MODES[@]:1}"; do
			wall=${cell[$row,$m,wall]:-}
			printf ' | %s' "$([ -n "$wall" ] && x "$wall" || echo -)"
		done
		echo " |"
	done
	echo
	echo "Per call: extra instructions over plain (callgrind), then wall time over plain (median of $ROUNDS interleaved rounds)."
	echo "Workloads: wall time over plain (median of $WROUNDS rounds; start-up: of $((WROUNDS * 10))); nginx: requests/s over plain, and plain's CPU time per request (nginx's processes, /proc/PID/schedstat) over the mode's (higher is better for both; $NROUNDS rounds)."
	echo "strace: no instruction count (ptrace's cost is in the kernel and the tracer); its per-call runs are N/20 calls."
	for c in "${notes[@]}"; do echo "- $c"; done
}
{
	main=$((${#rows_call[@]} + ${#rows_work[@]}))
	[ "$main" = 0 ] || table
	if [ ${#rows_sec[@]} != 0 ]; then
		[ "$main" = 0 ] || echo
		sec_table
		# the notes are the main table's; alone, this one says them
		[ "$main" != 0 ] || for c in "${notes[@]}"; do echo "- $c"; done
	fi
} >"$tmp/table.md"
cat "$tmp/table.md"
[ -z "$out" ] || cp "$tmp/table.md" "$out"
