#!/bin/bash
# I/O through an io_uring makes no read() or write() call, so a file rule
# cannot see it: faultrun says so whenever a process of the run set up a
# ring, and `io_uring errno=ENOSYS` makes the program fall back to plain
# calls, where the rule lands. A hand-made ring (trust-uring: setup and
# one IORING_OP_WRITE through syscall()) under the shim and, linked
# statically, under the seccomp backend; Node with UV_USE_IO_URING=1 set
# back by the program itself for a child (faultrun sets it to 0); a
# scenario run journals the ring as a "shim-limit" event.
. "$(dirname "$0")/trust-lib.sh"
: "${TRUST_URING:?TRUST_URING must name the built trust-uring}"
[ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 0 ] ||
	{ note "io_uring is disabled on this kernel: skip"; exit 77; }
"$TRUST_URING" "$D/probe" >"$D/out" 2>&1
grep -q "ring write: 6" "$D/out" || { note "no io_uring here: skip"; exit 77; }

json() { # json FILE EXPR: EXPR (python, j = the journal) is true
	python3 -c "import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"
}
mkdir -p "$D/w"
# the files written go under w/, the program's output stays outside the rule
W="write errno=ENOSPC path=$D/w/**"

# run BACKEND PROGRAM TAG SPEC...: faultrun exec (not quiet) with --json
run() {
	local be=$1 prog=$2 tag=$3
	shift 3
	local args=()
	for s in "$@"; do args+=(-f "$s"); done
	"$FAULTRUN" exec --backend "$be" --json "$D/$tag.json" "${args[@]}" -- \
		"$prog" "$D/w/$tag" >"$D/out" 2>"$D/err"
	rc=$?
}

cases() { # cases BACKEND PROGRAM
	local be=$1 prog=$2
	note "$be: a ring set up while a write rule exists is reported"
	run "$be" "$prog" "$be-ring" "$W"
	check "$be: the program wrote through its ring" out_has "ring write: 6"
	check "$be: exit 90, the rule never fired" test "$rc" = 90
	check "$be: the summary names the ring and the way out" err_has \
		"set up an io_uring: I/O through it bypasses faultrun; add 'io_uring errno=ENOSYS'"
	check "$be: the never-fired line says why" err_has "never fired: .*set up an io_uring"
	check "$be: --json has it" json "$D/$be-ring.json" \
		'j["io_uring"]["setups"] == 1 and "bypasses" in j["io_uring"]["warning"] and j["scenarios"][0]["limits"]["io_uring_setups"] == 1'

	note "$be: io_uring errno=ENOSYS: the program falls back and the write rule lands"
	run "$be" "$prog" "$be-nosys" "$W" "io_uring errno=ENOSYS"
	check "$be: the setup failed with ENOSYS" out_has "setup: ENOSYS"
	check "$be: the plain write got ENOSPC" out_has "write: ENOSPC"
	check "$be: no ring, no warning" not_err_has "set up an io_uring"
	check "$be: both rules fired" json "$D/$be-nosys.json" \
		'all(r["injected"] == 1 for r in j["rules"]) and j["io_uring"]["setups"] == 0'
}
not_err_has() { ! grep -q -- "$1" "$D/err"; }

cases preload "$TRUST_URING"
if [ -n "${TRUST_URING_STATIC:-}" ]; then
	cases seccomp "$TRUST_URING_STATIC"
else
	note "no static libc: the seccomp cases skipped"
fi

note "Node: a child given UV_USE_IO_URING=1 back writes through libuv's ring"
if command -v node >/dev/null 2>&1; then
	cat >"$D/w.js" <<'JS'
const fs = require('fs');
const { spawnSync } = require('child_process');
if (process.argv[2] === 'child') {
  fs.writeFile(process.argv[3], 'hello\n', (err) => {
    console.log(err ? 'write: ' + err.code : 'write: ok');
    process.exit(err ? 1 : 0);
  });
} else {
  const r = spawnSync(process.execPath, [__filename, 'child', process.argv[2]],
    { env: { ...process.env, UV_USE_IO_URING: '1' }, stdio: 'inherit', timeout: 20000 });
  process.exit(r.status === null ? 2 : r.status);
}
JS
	"$FAULTRUN" exec -f "$W" -- node "$D/w.js" "$D/w/node-a" >"$D/out" 2>"$D/err"
	rc=$?
	check "node: the write went through the ring, unseen (exit 90)" test "$rc" = 90
	check "node: the summary names node's rings" err_has "node (pid [0-9]*).* io_uring.*bypasses faultrun"
	"$FAULTRUN" exec -f "$W" -f "io_uring errno=ENOSYS" -- node "$D/w.js" "$D/w/node-b" \
		>"$D/out" 2>"$D/err"
	rc=$?
	check "node: with io_uring errno=ENOSYS libuv falls back and the write gets ENOSPC" \
		out_has "write: ENOSPC"
else
	note "no node: its case skipped"
fi

note "scenario run: the ring is journaled as a shim-limit event"
cat >"$D/u.yml" <<YML
name: uring
target:
  command: [sh, -c, "echo ready; $TRUST_URING \${run_dir}/f; sleep 5"]
  ready: {log: "ready", deadline: 10s}
faults:
  w: "write errno=ENOSPC path=\${run_dir}/** may-not-fire"
duration: 1500ms
expect:
  - restarts: {max: 0}
YML
"$FAULTRUN" "$D/u.yml" --json "$D/u.json" >"$D/out" 2>"$D/err"
rc=$?
check "the scenario ran (exit $rc)" test "$rc" = 0
check "it warned" err_has "warning: .*set up an io_uring"
check "journal: a shim-limit event naming the ring" json "$D/u.json" \
	'[e for e in j["scenarios"][0]["target"]["lifecycle"] if e["event"] == "shim-limit" and "io_uring" in e["detail"]]'
finish
