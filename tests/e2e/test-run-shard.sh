#!/bin/bash
# A suite split across machines: `faultrun --shard I/N --list` puts every
# scenario of a directory in exactly one shard for N = 1..5, the split is
# the same every time and balanced by the scenarios' durations; bad I/N is
# refused with exit 2; a real 2-way split, merged with `faultrun report
# --merge`, gives the JUnit test list and the journal scenarios of one
# unsharded run of the same directory.
. "$(dirname "$0")/test-run-lib.sh"

# Seven scenarios of different lengths for the split, never run.
mkdir "$WORK/suite"
i=0
for d in 7s 2s 5s 3s 3s 1s 4s; do
	i=$((i + 1))
	cat >"$WORK/suite/s$i.yml" <<YML
name: s$i
target: {command: "sleep 30", shim: false}
duration: $d
expect: [{exits: 0}]
YML
done
all=$(ls "$WORK/suite"/*.yml)

note "--list: every scenario in exactly one shard"
for n in 1 2 3 4 5; do
	: >"$WORK/union"
	bad=0
	for i in $(seq "$n"); do
		"$FAULTRUN" --shard "$i/$n" --list "$WORK/suite" >"$WORK/l$i" 2>"$WORK/err" || bad=1
		cat "$WORK/l$i" >>"$WORK/union"
	done
	check "N=$n: the shards list without error" test $bad = 0
	check "N=$n: union = the suite, no scenario twice" \
		test "$(sort "$WORK/union")" = "$all"
	# longest processing time first: no shard is longer than another by
	# more than the longest scenario (7s)
	check "N=$n: balanced by duration" python3 - "$n" "$WORK" <<'PY'
import re, sys
n, work = int(sys.argv[1]), sys.argv[2]
load = []
for i in range(1, n + 1):
    t = 0
    for f in open(f"{work}/l{i}").read().split():
        t += int(re.search(r"duration: (\d+)s", open(f).read()).group(1))
    load.append(t)
sys.exit(0 if max(load) - min(load) <= 7 else 1)
PY
done
"$FAULTRUN" --shard 2/3 --list "$WORK/suite" >"$WORK/a" 2>/dev/null
"$FAULTRUN" --dry-run "$WORK/suite" --shard=2/3 -q >"$WORK/b" 2>/dev/null
check "the same split every time, --dry-run is --list" cmp -s "$WORK/a" "$WORK/b"
check "the longest goes first, alone: 1/4 is s1 (7s)" \
	test "$("$FAULTRUN" --shard 1/4 --list -q "$WORK/suite")" = "$WORK/suite/s1.yml"
expect_status 0 "more shards than scenarios: an empty shard" \
	"$FAULTRUN" --shard 9/9 --list "$WORK/suite" >"$WORK/out" 2>"$WORK/err"
check "lists nothing" test ! -s "$WORK/out"
check "and says so" contains "$WORK/err" "shard 9/9: 0 of 7 scenarios"

for arg in 0/4 5/4 1/0 two/4 2/ 2/4x -1/4; do
	expect_status 2 "--shard $arg is refused" \
		"$FAULTRUN" --shard "$arg" --list "$WORK/suite" >"$WORK/out" 2>"$WORK/err"
	check "in one line naming it" \
		test "$(wc -l <"$WORK/err")" = 1 -a "$(grep -cF -- "--shard '$arg'" "$WORK/err")" = 1
done

# Real runs: four short scenarios, one failing (it expects an exit that
# never comes); unsharded once, then as 2 shards, merged.
mkdir "$WORK/real"
for i in 1 2 3 4; do
	cat >"$WORK/real/r$i.yml" <<YML
name: r$i
target: {command: "while :; do echo x >> f; sleep 0.1; done", shim: false}
probes:
  up: {target: alive, interval: 100ms}
duration: ${i}00ms
expect:
  - exits: $((i == 3))
  - availability: {probe: up, min: 90%}
YML
done
note "a suite unsharded, then in two shards"
expect_status 1 "the whole suite: one assertion fails" \
	"$FAULTRUN" "$WORK/real" -q --junit "$WORK/all.xml" --json "$WORK/all.json" \
	>"$WORK/out" 2>"$WORK/err"
for i in 1 2; do
	"$FAULTRUN" --shard "$i/2" "$WORK/real" -q --junit "$WORK/sh$i.xml" \
		--json "$WORK/sh$i.json" >"$WORK/out$i" 2>"$WORK/err$i"
	echo $? >"$WORK/rc$i"
done
check "one shard fails (1), the other passes (0)" \
	test "$(cat "$WORK/rc1" "$WORK/rc2" | sort | tr '\n' ' ')" = "0 1 "
expect_status 0 "report --merge the JUnit files" \
	"$FAULTRUN" report --merge "$WORK/m.xml" "$WORK/sh2.xml" "$WORK/sh1.xml" \
	>"$WORK/out" 2>"$WORK/err"
expect_status 0 "report --merge the journals" \
	"$FAULTRUN" report --merge "$WORK/m.json" "$WORK/sh2.json" "$WORK/sh1.json" \
	>"$WORK/out" 2>"$WORK/err"
check "the merged JUnit file is XML" xml_ok "$WORK/m.xml"
check "the same tests as unsharded, counts summed" python3 - "$WORK/all.xml" "$WORK/m.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
def tests(path):
    root = ET.parse(path).getroot()
    names = sorted((s.get("name"), c.get("name"), c.find("failure") is not None)
                   for s in root.iter("testsuite") for c in s.iter("testcase"))
    suites = [s.get("name") for s in root.iter("testsuite")]
    return root.tag, suites, names, [root.get(k) for k in ("tests", "failures", "errors")]
a, m = tests(sys.argv[1]), tests(sys.argv[2])
print("# unsharded:", a, "\n# merged:", m, file=sys.stderr)
sys.exit(0 if a == m and a[1] == ["r1", "r2", "r3", "r4"] and a[3][1] == "1" else 1)
PY
check "the merged journal: every scenario, in the unsharded order" python3 - "$WORK/all.json" "$WORK/m.json" <<'PY'
import json, sys
a, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ok = ([s["name"] for s in m["scenarios"]] == [s["name"] for s in a["scenarios"]]
      and m["format"] == "faultrun-journal" and m["version"] == 1 and m["exit"] == 1
      and [x["exit"] for x in m["merged"]] in ([0, 1], [1, 0])
      and sum(x["scenarios"] for x in m["merged"]) == 4)
sys.exit(0 if ok else 1)
PY
expect_status 0 "the merged journal draws" \
	"$FAULTRUN" report "$WORK/m.json" --html "$WORK/m.html" -q >"$WORK/out" 2>"$WORK/err"

note "an empty shard still writes its reports, and they merge"
expect_status 0 "shard 5/5 of four scenarios runs nothing" \
	"$FAULTRUN" --shard 5/5 "$WORK/real" -q --junit "$WORK/e.xml" --json "$WORK/e.json" \
	>"$WORK/out" 2>"$WORK/err"
expect_status 0 "and merges" "$FAULTRUN" report --merge "$WORK/m2.xml" "$WORK/e.xml" \
	"$WORK/m.xml" -q >"$WORK/out" 2>"$WORK/err"
check "to the same JUnit file" cmp -s "$WORK/m.xml" "$WORK/m2.xml"
expect_status 2 "a JUnit file and a journal do not merge" \
	"$FAULTRUN" report --merge "$WORK/x" "$WORK/m.xml" "$WORK/m.json" \
	>"$WORK/out" 2>"$WORK/err"
check "says so" contains "$WORK/err" "merge JUnit files and journals separately"

finish
