#!/bin/bash
# How much faultrun itself costs: a scenario with ten probes at 10 Hz (eight
# HTTP, two TCP) against targets/logsrv.py, for BENCH_DURATION (default
# 10m). Samples faultrun's own resident memory and CPU time (not the
# target's) from /proc once a second and prints the figures that go into
# docs/performance.md. Exits 1 when faultrun used 50 MiB or more, or more
# than 10% of one core on average.
#   FAULTRUN=build/harness/cli/faultrun TARGETS=tests/e2e/targets \
#     BENCH_DURATION=10m tests/e2e/bench-run.sh
. "$(dirname "$0")/test-run-lib.sh"

duration=${BENCH_DURATION:-10m}
{
	cat <<YML
name: bench
target:
  command: [python3, "$LOGSRV", --port, "\${port.http}"]
  env: {LOG_DIR: "\${run_dir}/logs"}
  ready: {tcp: "127.0.0.1:\${port.http}", deadline: 10s}
probes:
YML
	for i in 1 2 3 4 5 6 7 8; do
		echo "  http$i: {http: \"http://127.0.0.1:\${port.http}/health\", interval: 100ms}"
	done
	for i in 1 2; do
		echo "  tcp$i: {tcp: \"127.0.0.1:\${port.http}\", interval: 100ms}"
	done
	cat <<YML
duration: $duration
expect:
  - availability: {probe: http1, min: 90%}
YML
} >"$WORK/bench.yml"

hz=$(getconf CLK_TCK)
"$FAULTRUN" "$WORK/bench.yml" -q --json "$WORK/bench.json" >"$WORK/out" 2>"$WORK/err" &
pid=$!
start=$(date +%s.%N)
max_rss=0
ticks=0
while kill -0 "$pid" 2>/dev/null; do
	if [ -r "/proc/$pid/status" ]; then
		rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$rss" ] && [ "$rss" -gt "$max_rss" ] && max_rss=$rss
		# utime + stime of faultrun itself (fields 14, 15), not its children
		t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)
		[ -n "$t" ] && ticks=$t
	fi
	sleep 1
done
wait "$pid"
st=$?
end=$(date +%s.%N)
samples=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["scenarios"][0]; print(sum(len(p["samples"]) for p in s["probes"]))' "$WORK/bench.json")
journal=$(stat -c %s "$WORK/bench.json")
read -r wall cpu_s cpu_pct mib <<<"$(python3 -c '
import sys
start, end, ticks, hz, rss = map(float, sys.argv[1:])
wall = end - start
cpu = ticks / hz
print("%.1f %.2f %.2f %.1f" % (wall, cpu, 100 * cpu / wall, rss / 1024))' "$start" "$end" "$ticks" "$hz" "$max_rss")"
note "faultrun exit status: $st"
cat <<REPORT
duration:          $duration (wall ${wall}s)
probes:            10 at 10 Hz (8 http, 2 tcp)
samples recorded:  $samples
journal:           $((journal / 1024)) KiB
faultrun max RSS:  ${mib} MiB
faultrun CPU:      ${cpu_s}s (${cpu_pct}% of one core)
REPORT
[ "$st" = 0 ] || sed 's/^/#   /' "$WORK/out"
check "the run passed" test "$st" = 0
check "under 50 MiB" python3 -c "import sys; sys.exit(0 if $mib < 50 else 1)"
check "under 10% of a core" python3 -c "import sys; sys.exit(0 if $cpu_pct < 10 else 1)"
finish
