#!/bin/bash
# The control block on a full disk: the run directory is often on the very
# file system an incident fills. The block's pages are allocated when it is
# created, so a full file system is a clear error before the run ("cannot
# create the control block ...: No space left on device", exit 125), and a
# target that fills the file system during the run takes no SIGBUS from
# the block, nor does faultrun. Reports that cannot be written are errors
# that name the file, and never leave a truncated file in place of the old
# one. Real small tmpfs mounts; needs root (skip otherwise).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
[ "$(id -u)" = 0 ] || { note "needs root to mount a tmpfs: skip"; exit 77; }
M=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-full-XXXXXX")
if ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$M" 2>/dev/null; then
	rmdir "$M"
	note "cannot mount a tmpfs here: skip"
	exit 77
fi
trap 'umount "$M"; rmdir "$M"; rm -rf "$D"' EXIT
mkdir -p "$D/logs"
fill() { dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null; sync; }

note "a file system that is already full: a clear error, exit 125"
fill
XDG_RUNTIME_DIR=$M "$FAULTRUN" exec -q -f "write errno=EIO path=$D/logs/**" -- true \
	>"$D/out" 2>"$D/err"
rc=$?
check "exit 125" test "$rc" = 125
check "says there is no space" err_has "No space left on device"
check "names what it could not create" grep -qE "cannot create (the control block|a run directory)" "$D/err"
rm -f "$M/fill"

# fill_then_write RULE WRITE WHAT: faultrun exec under RULE of a target that
# fills the run directory's file system, then makes 300 writes (the shell
# command WRITE) under the rule; WHAT: the check that they were faulted
fill_then_write() {
	XDG_RUNTIME_DIR=$M "$FAULTRUN" exec -f "$1" -- \
		bash -c "dd if=/dev/zero of=$M/fill bs=4k 2>/dev/null; for i in \$(seq 300); do $2; done 2>/dev/null; exit 0" \
		>"$D/out" 2>"$D/err"
	rc=$?
	check "the target and faultrun end normally (exit 0, no SIGBUS)" test "$rc" = 0
	check "$3" grep -qE "injected [0-9]{3}" "$D/err"
	rm -f "$M/fill"
}

note "exec: the target fills the run directory's file system, then meets its fault"
fill_then_write "write errno=ENOSPC path=$D/logs/**" "echo x >> $D/logs/a" \
	"and the faults were counted"

note "room for the block but not for a disk rule's file table: a clear error, exit 125"
# 1 MiB: the pages every run writes (about 170 KiB) fit, the 512 KiB the
# disk model's file table takes when a disk rule is published do not
dd if=/dev/zero of="$M/fill" bs=4k count=180 2>/dev/null
XDG_RUNTIME_DIR=$M "$FAULTRUN" exec -q -f "disk free=64KiB path=$D/logs/**" -- true \
	>"$D/out" 2>"$D/err"
rc=$?
check "exit 125" test "$rc" = 125
check "names the rule and says there is no space" \
	grep -q "cannot publish rule 'rule0'.*No space left on device" "$D/err"
XDG_RUNTIME_DIR=$M "$FAULTRUN" exec -q --may-not-fire -f "write errno=EIO path=$D/logs/**" \
	-- true >"$D/out" 2>"$D/err"
rc=$?
check "a run without a disk rule still starts there (exit 0)" test "$rc" = 0
rm -f "$M/fill"

note "exec with a disk rule: the target fills the file system, then writes under the rule"
fill_then_write "disk free=8KiB path=$D/logs/**" "printf '%4096s' x >> $D/logs/d" \
	"and the disk filled up"
rm -f "$D/logs/d"

note "a scenario whose target fills the run directory's file system"
cat >"$D/fill.yml" <<YML
name: fill
target:
  command: [bash, -c, "dd if=/dev/zero of=$M/fill bs=4k 2>/dev/null; while :; do echo x >> $D/logs/s 2>/dev/null; sleep 0.01; done"]
faults:
  full: "write errno=ENOSPC path=$D/logs/**"
probes:
  alive: {exec: {command: "true"}, interval: 200ms}
timeline:
  - {at: 200ms, inject: full}
duration: 1500ms
expect:
  - availability: {probe: alive, min: 90%}
YML
XDG_RUNTIME_DIR=$M "$FAULTRUN" "$D/fill.yml" -q --json "$D/fill.json" >"$D/out" 2>"$D/err"
rc=$?
check "the run ends with its verdict (exit 0), not a signal" test "$rc" = 0
check "its journal counts the injections" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
sys.exit(0 if s["faults"][0]["injected"] > 0 else 1)' "$D/fill.json"
note "reports on a full disk: an error naming the file, the old file kept"
rm -f "$M/fill"
cat >"$D/tiny.yml" <<YML
name: tiny
target: {command: [sleep, "30"], shim: false}
duration: 200ms
expect: [{exits: 0}]
YML
mkdir "$M/out"
for f in json junit html; do echo "old $f" >"$M/out/r.$f"; done
fill
"$FAULTRUN" "$D/tiny.yml" -q --json "$M/out/r.json" --junit "$M/out/r.junit" \
	--html "$M/out/r.html" >"$D/out" 2>"$D/err"
rc=$?
check "exit 3" test "$rc" = 3
for f in json junit html; do
	check "--$f: the error names the file" grep -q "$M/out/r.$f.*No space left on device" "$D/err"
	check "--$f: the old file is intact" grep -qx "old $f" "$M/out/r.$f"
done
check "no temporary is left behind" sh -c "! ls '$M/out' | grep -q tmp"
rm -f "$M/fill"

note "the result table on a full stdout is an error too"
"$FAULTRUN" "$D/tiny.yml" -q >/dev/full 2>"$D/err"
rc=$?
check "exit 3" test "$rc" = 3
check "says so" err_has "cannot write the result table to stdout: No space left on device"

note "a report whose name is a symbolic link replaces the link, never its target"
echo precious >"$D/precious"
ln -s "$D/precious" "$D/link.json"
"$FAULTRUN" "$D/tiny.yml" -q --json "$D/link.json" >"$D/out" 2>"$D/err"
rc=$?
check "exit 0" test "$rc" = 0
check "the link's target is untouched" grep -qx precious "$D/precious"
check "the journal is where the link was" sh -c "[ ! -L '$D/link.json' ] && grep -q faultrun-journal '$D/link.json'"
finish
