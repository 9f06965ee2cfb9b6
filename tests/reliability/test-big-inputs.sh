#!/bin/bash
# Scenarios of 10 MB, in the shapes that make a loader quadratic or worse,
# are loaded or refused within seconds (the time limit here is a hang bound,
# far above the expected time): a mapping of 250,000 keys (duplicate keys
# are looked for), hundreds of thousands of list items, brackets nested a
# million deep (libyaml's scanner is quadratic in flow depth), indentation
# nested thousands deep, YAML aliases repeating a 1 MB value 2,000 times
# (2 GB of values from a 2 MB file); and a file over the documented 16 MiB limit is
# refused without being read whole.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"

gen() { # file, python body writing to f; hdr is a scenario's head
	python3 - "$1" "$2" <<'PY'
import sys
hdr = "name: big\ntarget: {command: [/bin/true]}\nduration: 1s\n"
with open(sys.argv[1], "w") as f:
    exec(sys.argv[2])
PY
	[ $? = 0 ] || { echo "not ok - cannot generate $1"; exit 1; }
}

bounded() { # what, exit status wanted, message wanted, file
	timeout 30 "$FAULTRUN" check "$4" >"$D/out" 2>"$D/err"
	rc=$?
	check "$1: finished (not hung)" test "$rc" != 124
	check "$1: exit $2 (got $rc)" test "$rc" = "$2"
	check "$1: says '$3'" err_has "$3"
}

gen "$D/keys.yml" 'f.write(hdr + "vars:\n")
i, pad = 0, "x" * 30
while f.tell() < 10_000_000:
    f.write(f"  v{i}: {pad}\n"); i += 1
f.write("  v7: dup\n")'
bounded "250,000 vars and a duplicate" 2 "keys.yml:.*duplicate key 'v7' in vars (first at line 12)" "$D/keys.yml"

gen "$D/steps.yml" 'f.write(hdr + "faults:\n  f: \"write errno=EIO path=/tmp/x\"\ntimeline:\n")
i = 0
while f.tell() < 10_000_000:
    f.write(f"  - {{at: {i}ms, inject: f}}\n  - {{at: {i}ms, clear: f}}\n"); i += 1
f.write("expect:\n  - {fired: {fault: f, min: 1}}\n")'
timeout 60 "$FAULTRUN" check "$D/steps.yml" >"$D/out" 2>"$D/err"
rc=$?
check "400,000 timeline steps: finished (not hung)" test "$rc" != 124
check "400,000 timeline steps: accepted or refused with a line:col ($rc)" \
	sh -c "test $rc = 0 || grep -q 'steps.yml:[0-9]*:[0-9]*: ' '$D/err'"

gen "$D/flow.yml" 'n = 3_000_000
f.write(hdr + "vars:\n  a: " + "[" * n + "]" * n + "\n")'
bounded "brackets 3,000,000 deep" 2 "flow.yml:5:68: lists and mappings nest deeper than 64 levels" "$D/flow.yml"

gen "$D/block.yml" 'f.write(hdr + "vars:\n")
for i in range(3000):
    f.write(" " * (2 + i) + f"k{i}:\n")'
bounded "indentation 3,000 deep" 2 "block.yml:[0-9]*:[0-9]*: lists and mappings nest deeper than 64 levels" "$D/block.yml"

gen "$D/alias.yml" 'big = "q" * 1_000_000
f.write("name: big\nduration: 1s\nvars:\n  x: &s \"" + big + "\"\n")
f.write("target:\n  command: [" + ",".join(["*s"] * 2000) + "]\n")'
bounded "2,000 aliases of a 1 MB string" 2 "alias.yml:4:6: the scenario's values add up to more than 64 MiB" "$D/alias.yml"

gen "$D/huge.yml" 'f.write(hdr + "# " + "c" * (17 << 20) + "\n")'
bounded "a file over 16 MiB" 2 "huge.yml" "$D/huge.yml"
finish
