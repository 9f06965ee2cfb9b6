#!/bin/bash
# A fault that fires continuously: a real python3 loop writes one byte at a
# time to a file under an armed `write errno=EIO` rule, for 10 s, hundreds
# of thousands of injections a second on a quiet machine. The journal, the
# HTML page and faultrun's memory stay bounded (groups, a sample, the rate
# from the counters: docs/journal.md, "injections"), and what is bounded
# adds up: every injection the counters saw is in a group, folded into
# "other" or unseen (the ring overwrote it), and the rate's buckets sum to
# the counter. A second run writes to 600 files, more groups than the
# journal keeps, so the fold into "other" is exercised too.
# Figures for 60 s by hand: docs/performance.md, "A fault that fires continuously".
. "$(dirname "$0")/lib.sh"
skip_unless python3

cat >"$W/hot.py" <<'PY'
import os, sys
d, nfiles = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
fds = [os.open("%s/f%d" % (d, i), os.O_WRONLY | os.O_CREAT | os.O_APPEND) for i in range(nfiles)]
print("ready", flush=True)
i = 0
while True:
    try:
        os.write(fds[i % nfiles], b"x")
    except OSError:
        pass
    i += 1
PY

# scenario NAME FILES DURATION: the loop over FILES files under the rule
scenario() {
	cat >"$W/$1.yml" <<YML
name: $1
target:
  command: [python3, "$W/hot.py", "\${run_dir}/logs", "$2"]
  ready: {log: "ready", deadline: 20s}
faults:
  hot: "write errno=EIO path=\${run_dir}/logs/**"
timeline:
  - {at: 0s, inject: hot}
duration: $3
expect:
  - restarts: {max: 0}
YML
}

# maxrss CMD...: run CMD, its exit status in $rc and in $W/rss the largest
# VmHWM (KiB) among it and the descendants it waited for (getrusage(2): a
# bound on faultrun's own peak, whatever the target's)
maxrss() {
	python3 - "$W/rss" "$@" >"$W/out" 2>"$W/err" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
open(sys.argv[1], "w").write("%d\n" % ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
PY
	rc=$?
}

# journal FILE PYTHON-EXPR: the expression on the scenario `s` holds
journal() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
f = s["faults"][0]
inj = s["injections"]
grouped = sum(g["count"] for g in inj.get("groups", []) if g["fault"] == f["name"])
ok = eval(sys.argv[2])
if not ok:
    print("#   injected %d, groups %d (%d events), folded %d, unseen %d, missed %d, "
          "sample %d, dropped %d, rate %d buckets of %s s summing to %d" % (
              f["injected"], len(inj["groups"]), grouped, f.get("folded", -1),
              f.get("unseen", -1), inj.get("missed", -1), len(inj["events"]),
              inj["dropped"], len(f.get("rate", {}).get("counts", [])),
              f.get("rate", {}).get("width"), sum(f.get("rate", {}).get("counts", []))))
sys.exit(0 if ok else 1)
PY
}

note "10 s of a fault that fires all the time"
scenario hot 1 10s
maxrss "$FAULTRUN" "$W/hot.yml" -q --json "$W/hot.json" --html "$W/hot.html"
check "the run passes (exit 0)" test "$rc" = 0
jsize=$(stat -c %s "$W/hot.json")
hsize=$(stat -c %s "$W/hot.html")
note "journal $jsize bytes, HTML $hsize bytes, peak RSS $(cat "$W/rss") KiB"
check "it fired continuously: tens of thousands of injections at least" \
	journal "$W/hot.json" 'f["injected"] > 20000'
check "the journal is under 2 MiB" test "$jsize" -lt $((2 * 1024 * 1024))
check "the HTML page is under 2 MiB" test "$hsize" -lt $((2 * 1024 * 1024))
check "injected = its groups + folded + unseen" \
	journal "$W/hot.json" 'f["injected"] == grouped + f["folded"] + f["unseen"]'
check "one group: the same call, file and outcome all along" \
	journal "$W/hot.json" 'len(inj["groups"]) == 1 and inj["groups"][0]["errno"] == "EIO"'
check "the sample is bounded, dropped is what it leaves out" \
	journal "$W/hot.json" 'len(inj["events"]) <= inj["limits"]["first"] + inj["limits"]["per_group"] and inj["dropped"] == inj["missed"] + grouped + inj["other"]["count"] - len(inj["events"])'
check "the rate's buckets sum to the injected count" \
	journal "$W/hot.json" 'sum(f["rate"]["counts"]) == f["injected"] and len(f["rate"]["counts"]) <= 240'
check "the rate is a band: most buckets from 1 s to 9 s have injections" \
	journal "$W/hot.json" 'sum(1 for i, n in enumerate(f["rate"]["counts"]) if 1 <= i * f["rate"]["width"] < 9 and n) * 2 * f["rate"]["width"] >= 8'
check "the HTML lists the group with its count" \
	journal "$W/hot.json" 'open(sys.argv[1][:-4] + "html").read().count(">%d</td>" % inj["groups"][0]["count"]) >= 1'
if ldd "$FAULTRUN" | grep -qE 'lib(a|t)san'; then
	note "faultrun is a sanitizer build: its memory is not measured"
else
	check "faultrun's peak RSS is under 50 MiB" test "$(cat "$W/rss")" -lt $((50 * 1024))
fi

note "600 files: more groups than the journal keeps"
scenario many 600 3s
"$FAULTRUN" "$W/many.yml" -q --json "$W/many.json" >"$W/out" 2>"$W/err"
check "the run passes (exit 0)" test "$?" = 0
check "the groups stop at the limit, the rest is folded into other" \
	journal "$W/many.json" 'len(inj["groups"]) == inj["limits"]["groups"] and inj["other"]["count"] == f["folded"] > 0'
check "injected = its groups + folded + unseen" \
	journal "$W/many.json" 'f["injected"] == grouped + f["folded"] + f["unseen"]'
check "the rate's buckets sum to the injected count" \
	journal "$W/many.json" 'sum(f["rate"]["counts"]) == f["injected"]'
finish
