#!/bin/bash
# Hostile values through the real faultrun: each refused at once with a
# one-line error naming the argument or file:line:col (exit 2; faultrun
# exec's own errors exit 125, as env(1)'s), or kept
# exactly as written; never a silent change of meaning, a hang, a crash or
# gigabytes.
#
# - a SPEC field given twice, stall=0s (exec -f: nothing runs);
# - var expansion bounded: vars that double 30 times are refused in a
#   fraction of a second, within 256 MiB of address space;
# - a --set value holding " times=1 path=/etc/passwd" stays one path in the
#   rule the run publishes (the journal's spec);
# - nan%, a port of 99999 given through --set, a NUL in a name;
# - a path glob past its backtracking bound still matches, so the fault lands;
# - out of memory is "faultrun: out of memory ..." and exit 3.
. "$(dirname "$0")/lib.sh"

# refused WHAT MESSAGE FAULTRUN-ARGS...: exit 2 (125 for exec) and MESSAGE
# on stderr, in at most $LIMIT_KIB of address space when that is set
refused() {
	local what=$1 msg=$2
	shift 2
	(
		[ -z "${LIMIT_KIB:-}" ] || ulimit -v "$LIMIT_KIB"
		exec timeout 20 "$FAULTRUN" "$@"
	) >"$W/out" 2>"$W/err"
	local rc=$? want=2
	[ "$1" = exec ] && want=125
	check "$what: exit $want (got $rc)" test "$rc" = "$want"
	check "$what: says why" grep -qF -- "$msg" "$W/err"
	check "$what: in one line" test "$(wc -l <"$W/err")" = 1
}

# ---- exec -f: the SPEC is an argument ---------------------------------------
refused "errno twice" "faultrun: -f 'write errno=EIO errno=ENOSPC': 'errno' is given twice" \
	exec -f "write errno=EIO errno=ENOSPC" -- touch "$W/ran"
refused "path twice" "'path' is given twice" \
	exec -f "write errno=EIO path=/a path=/b" -- touch "$W/ran"
refused "times twice" "'times' is given twice" \
	exec -f "write errno=EIO times=1 times=2" -- touch "$W/ran"
refused "stall=0s" "'stall=0s' would never stall; write 'stall' alone" \
	exec -f "recv stall=0s" -- touch "$W/ran"
check "nothing ran for a refused SPEC" test ! -e "$W/ran"

# ---- scenarios ----------------------------------------------------------------
head='target: {command: ["sleep", "30"]}
duration: 1s'

# The smallest address space (in 4 MiB steps) in which faultrun checks a
# small file; empty for a sanitizer build, which needs terabytes of it.
printf '%s\nexpect: [{restarts: {max: 0}}]\n' "$head" >"$W/small.yml"
fits() { # fits KIB: faultrun checks small.yml in that much address space
	# (not exec'd: the subshell, not the script, says when it aborts)
	(
		ulimit -v "$1"
		"$FAULTRUN" check -q "$W/small.yml"
		rc=$?
		exit $rc
	) >/dev/null 2>&1
}
base=
if fits 131072; then
	for kib in $(seq 16384 4096 131072); do
		if fits "$kib"; then
			base=$kib
			break
		fi
	done
fi
[ -n "$base" ] || note "faultrun does not run within 128 MiB of address space (a sanitizer build?): no limits"
{
	echo "vars:"
	printf '  v0: %064d\n' 0
	for i in $(seq 1 30); do
		printf '  v%d: "${vars.v%d}${vars.v%d}"\n' "$i" $((i - 1)) $((i - 1))
	done
	echo "$head"
	echo 'expect: [{restarts: {max: 0}}]'
	echo 'probes: {p: {exec: "echo ${vars.v30}"}}'
} >"$W/bomb.yml"
LIMIT_KIB=${base:+262144} refused "vars doubling 30 times" \
	"bomb.yml:17:20: '\${vars.v14}' (var 'v14') makes this value longer than 1 MiB" \
	check "$W/bomb.yml"

cat >"$W/chain.yml" <<EOF
vars:
  a: "\${vars.b}"
  b: x
$head
expect: [{restarts: {max: 0}}]
EOF
refused "a var used above its line" \
	"chain.yml:2:7: var 'b' is defined further down (line 3)" check "$W/chain.yml"

cat >"$W/nan.yml" <<EOF
$head
probes: {p: {tcp: "127.0.0.1:9"}}
expect: [{availability: {probe: p, min: nan%}}]
EOF
refused "nan%" "nan.yml:4:41: min must be a percentage" check "$W/nan.yml"

cat >"$W/port.yml" <<EOF
vars: {port: "8080"}
$head
probes: {p: {tcp: "127.0.0.1:\${vars.port}"}}
expect: [{restarts: {max: 0}}]
EOF
check "a port from --set: 8080 is fine" "$FAULTRUN" check -q "$W/port.yml"
refused "a port from --set: 99999" \
	"port.yml:4:19: tcp '127.0.0.1:99999': expected a port from 1 to 65535" \
	check "$W/port.yml" --set port=99999

printf '%s\nfaults: {"a\\0b": "write errno=EIO"}\nexpect: [{restarts: {max: 0}}]\n' \
	"$head" >"$W/nul.yml"
refused "a NUL in a fault's name" "nul.yml:3:10: a NUL character" check "$W/nul.yml"

cat >"$W/spec.yml" <<EOF
$head
faults:
  f: "write errno=EIO errno=ENOSPC"
expect: [{restarts: {max: 0}}]
EOF
refused "a SPEC field twice in a scenario" "spec.yml:4:23: fault 'f': 'errno' is given twice" \
	check "$W/spec.yml"

# A --set value that looks like more fields stays the one path it fills:
# the rule the run publishes has that path and no times= (read back from
# the journal, as faultrun formats it).
cat >"$W/inject.yml" <<EOF
vars: {p: /tmp/ok}
$head
faults:
  f: "write errno=EIO path=\${vars.p}"
expect: [{restarts: {max: 0}}]
EOF
timeout 60 "$FAULTRUN" -q "$W/inject.yml" --set "p=/tmp/x times=1 path=/etc/passwd" \
	--json "$W/inject.json" >"$W/out" 2>"$W/err"
check "a run with the --set value" test -s "$W/inject.json"
spec=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["scenarios"][0]["faults"][0]["spec"])' "$W/inject.json" 2>&1)
check "its rule has one path, that whole value ($spec)" \
	test "$spec" = 'name=f write errno=EIO path="/tmp/x times=1 path=/etc/passwd"'

# ---- a glob past its backtracking bound ------------------------------------
# Matching the first segment fails in millions of ways before the second
# matches: the backtracker gives up, and the answer must still be "yes".
mkdir -p "$W/g/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
: >"$W/g/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aaaaaaaaaab"
timeout 60 "$FAULTRUN" exec -q -f "open errno=EACCES path=$W/g/**/a*a*a*a*a*a*a*a*a*a*b" \
	-- cat "$W/g/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aaaaaaaaaab" >"$W/out" 2>"$W/err"
rc=$?
check "a pathological glob still matches: cat fails (got $rc)" test "$rc" = 1
check "... with the rule's EACCES" grep -q "Permission denied" "$W/err"

# ---- out of memory --------------------------------------------------------------
# 8 MiB more than a small file needs, for a 12 MB one: faultrun runs out
# while reading or parsing it.
if [ -n "$base" ]; then
	{
		printf '%s\nexpect: [{restarts: {max: 0}}]\ndescription: "' "$head"
		head -c 12000000 /dev/zero | tr '\0' x
		printf '"\n'
	} >"$W/big.yml"
	(ulimit -v $((base + 8192)); "$FAULTRUN" check "$W/big.yml") >"$W/out" 2>"$W/err"
	rc=$?
	check "out of memory: exit 3 (got $rc, limit $((base + 8192)) KiB)" test "$rc" = 3
	check "... with a message" grep -q "^faultrun: out of memory" "$W/err"
	check "... in one line" test "$(wc -l <"$W/err")" = 1
fi
finish
