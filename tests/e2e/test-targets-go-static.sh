#!/bin/bash
# scenarios/targets/go (pooled-db-go) without a database: the binary is a
# static Go program (no PT_INTERP, a Go build-info section), which is what
# `faultrun exec` refuses today (exit 126, "Go program": its system calls
# bypass libc, so the preload shim cannot see them); its command line
# matches pooled-db's (exit 2 on bad arguments); and its access log under
# a failing disk: buggy dies on the first failed write (the incident's
# uncaught exception), fixed says so once and keeps serving. The failing
# disk is /dev/full (every write ENOSPC), as out.log.
#
# The same log failure injected by faultrun exec --backend auto (seccomp)
# into the Go program, buggy and fixed.
# env: GO_TARGET, FAULTRUN, FAULTRUN_SHIM. Exit 77 when the Go target was
# not built (no Go toolchain), or readelf or curl is missing.
set -u
here=$(dirname "$0")
. "$here/test-targets-lib.sh"

: "${GO_TARGET:?}" "${FAULTRUN:?}" "${FAULTRUN_SHIM:?}"
export FAULTRUN_SHIM
[ -x "$GO_TARGET" ] || { echo "# SKIP: $GO_TARGET not built (no Go toolchain)"; exit 77; }
command -v readelf >/dev/null || { echo "# SKIP: readelf missing"; exit 77; }
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit 77; }

run=$(mktemp -d /tmp/faultrun-test-go-static-XXXXXX)
trap 'stop_tracked; rm -rf "$run"' EXIT

# ---- what it is -----------------------------------------------------------
readelf -lW "$GO_TARGET" >"$run/phdrs" 2>&1 || fail "readelf -l"
readelf -SW "$GO_TARGET" >"$run/sections" 2>&1 || fail "readelf -S"
check "no program interpreter (static)" not grep -q INTERP "$run/phdrs"
check "no dynamic section" not grep -q DYNAMIC "$run/phdrs"
check "a Go build-info section" grep -q '\.go\.buildinfo' "$run/sections"
if command -v file >/dev/null; then
	check "file(1) says statically linked" sh -c "file '$GO_TARGET' | grep -q 'statically linked'"
fi

# ---- faultrun exec refuses it today ----------------------------------------
port=$(free_port)
"$FAULTRUN" exec -- "$GO_TARGET" --port "$port" >"$run/out" 2>"$run/err"
rc=$?
check "faultrun exec: exit 126, got $rc" [ "$rc" = 126 ]
check "faultrun exec: says it is a Go program" grep -q 'Go program' "$run/err"
check "faultrun exec: the program never ran" not grep -q listening "$run/err"

# ---- the command line --------------------------------------------------------
args_fail() { # args_fail MESSAGE ARGS...: exit 2 and MESSAGE on stderr
	local msg=$1 rc
	shift
	"$GO_TARGET" "$@" >/dev/null 2>"$run/args"
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "$msg" "$run/args"
}
check "missing --port: exit 2" args_fail "missing --port"
check "--port 0: exit 2" args_fail "invalid value '0' for --port (expected 1..65535)" --port 0
check "--variant other: exit 2" args_fail "invalid value 'other' for --variant" \
	--variant other --port 1
check "unknown flag: exit 2" args_fail "not defined: --nope" --nope --port 1
check "a missing password file: exit 2" args_fail "cannot read '$run/none'" \
	--port 1 --db-password-file "$run/none"
check "--help: exit 0 with the usage" sh -c "'$GO_TARGET' --help | grep -q -- --db-password-file"

# ---- the access log on a full disk ---------------------------------------------
code_is() { [ "$(http_code "$1" "$2")" = "$3" ]; }
# start VARIANT: logs in $run/VARIANT, whose out.log is /dev/full
start() {
	mkdir -p "$run/$1"
	ln -sf /dev/full "$run/$1/out.log"
	port=$(free_port)
	url=http://127.0.0.1:$port
	"$GO_TARGET" --variant "$1" --port "$port" --log-dir "$run/$1" \
		2>"$run/$1.err" &
	pid=$!
	track "$pid"
	wait_for 10 grep -q listening "$run/$1.err" || fail "$1: started"
}
# buggy_dies WHO ERR: the buggy service ($pid, at $url) ends, exit 1, at the
# first request's failed log write, with the uncaught ENOSPC in file ERR
buggy_dies() {
	local status
	curl -s -m 5 -o /dev/null "$url/ping"
	check "$1: the first failed log write ends the service" wait_gone "$pid" 10
	wait "$pid"
	status=$?
	check "$1: exit status 1, got $status" [ "$status" = 1 ]
	check "$1: an uncaught ENOSPC on its log on stderr" \
		grep -q "uncaught exception: write to .*out.log: no space left on device" "$2"
}
# fixed_serves WHO ERR: the fixed service keeps answering and says so once in ERR
fixed_serves() {
	check "$1: /ping answers with the log failing" code_is "$url/ping" 5 200
	check "$1: and again" code_is "$url/ping" 5 200
	check "$1: alive" alive "$pid"
	check "$1: the failure reported once" \
		[ "$(grep -c "cannot write to '.*out.log': no space left on device" "$2")" = 1 ]
}
start buggy
buggy_dies buggy "$run/buggy.err"
start fixed
fixed_serves fixed "$run/fixed.err"
stop_tracked

# ---- the same disk failure, injected by faultrun's seccomp backend ----------
# (what the preload cannot do for a Go program: --backend auto picks seccomp)
# secstart VARIANT: under faultrun exec, ENOSPC on writes under $run/sec-VARIANT
secstart() {
	mkdir -p "$run/sec-$1"
	port=$(free_port)
	url=http://127.0.0.1:$port
	"$FAULTRUN" exec --backend auto --may-not-fire \
		-f "name=full write errno=ENOSPC path=$run/sec-$1/**" -- \
		"$GO_TARGET" --variant "$1" --port "$port" --log-dir "$run/sec-$1" \
		2>"$run/sec-$1.err" &
	pid=$!
	track "$pid"
	wait_for 10 grep -q listening "$run/sec-$1.err" || fail "seccomp $1: started"
}
secstart buggy
buggy_dies "seccomp, buggy" "$run/sec-buggy.err"
check "seccomp, buggy: faultrun counted it" \
	grep -q "rule 'full' armed: matched [1-9][0-9]*, injected [1-9]" "$run/sec-buggy.err"
check "seccomp, buggy: by the seccomp backend" grep -q "the seccomp backend saw" "$run/sec-buggy.err"
secstart fixed
fixed_serves "seccomp, fixed" "$run/sec-fixed.err"
stop_tracked

finish
