#!/bin/bash
# SIGKILL of faultrun leaves nothing, whatever the number of processes: a
# target starts 2,000 daemons that each left for their own session and
# cleared their environment (setsid env -i: in no group of the run, no
# FAULTRUN_CTL), orphaned (adopted by faultrun as a subreaper), or spread
# over ten parents that stay. faultrun is SIGKILLed; within 30 s none of
# them may be left. Also a process outside faultrun's tree whose
# environment holds the run's FAULTRUN_CTL behind 1 MiB of other
# variables: the sweep reads environments whole, so it goes too. Both ways faultrun keeps track (docs/reliability.md): a cgroup (as
# root with a writable cgroup2 hierarchy; skipped otherwise), also as on
# a kernel without cgroup.kill (FAULTRUN_REAP=freeze), and the subreaper
# with the sentinel (FAULTRUN_REAP=subreaper).
. "$(dirname "$0")/lib.sh"
skip_unless setsid
skip_unless pgrep
skip_unless python3

N=${KILL_MANY:-2000}
export XDG_RUNTIME_DIR=$W/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
tok=$$$RANDOM

# count of processes whose command line holds the string (zombies have none)
count() { pgrep -c -f -- "$1" || true; }

# Can this faultrun make a cgroup? Where cgroup2 is mounted, plus our own
# cgroup (0::/path), must take a directory.
cgroup_dir() {
	local mnt rel
	mnt=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") break;
		if ($(i + 1) == "cgroup2" && $4 == "/") { print $5; exit } }' /proc/self/mountinfo)
	rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$mnt" ] && [ -n "$rel" ] && echo "$mnt${rel%/}"
}
can_cgroup() {
	local d
	d=$(cgroup_dir) || return 1
	[ -n "$d" ] && mkdir "$d/faultrun-test.$$" 2>/dev/null && rmdir "$d/faultrun-test.$$"
}

# Every process counted by its marker: in a session of its own (sid ==
# pid), with an empty environment, and not in faultrun's process group.
# Prints how many do not qualify.
check_daemons() {
	python3 - "$1" <<'PY'
import os, sys
marker, bad = sys.argv[1], 0
for p in os.listdir('/proc'):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        with open(f'/proc/{p}/cmdline', 'rb') as f:
            if marker.encode() not in f.read():
                continue
        with open(f'/proc/{p}/stat') as f:
            sid = int(f.read().rsplit(')', 1)[1].split()[3])
        with open(f'/proc/{p}/environ', 'rb') as f:
            env = f.read()
    except OSError:
        continue
    if sid != int(p) or env:
        bad += 1
print(bad)
PY
}

# orphans: a subshell starts them and exits, so faultrun (a subreaper)
# adopts them all: one parent of 2,000 (the old sentinel kept 256).
# tree: ten subshells start a tenth each and stay: 2,000 in a tree (the
# old sentinel kept 900 in all).
cat >"$W/orphans.sh" <<SH
(
  i=0
  while [ \$i -lt $N ]; do
    setsid env -i sleep 1000.$tok &
    i=\$((i + 1))
  done
)
exec sleep 1001.$tok
SH
cat >"$W/tree.sh" <<SH
for k in 0 1 2 3 4 5 6 7 8 9; do
  (
    i=0
    while [ \$i -lt $((N / 10)) ]; do
      setsid env -i sleep 1000.$tok &
      i=\$((i + 1))
    done
    wait
  ) &
done
exec sleep 1001.$tok
SH
for shape in orphans tree; do
	cat >"$W/$shape.yml" <<YML
name: kill-many-$shape
target:
  command: [sh, "$W/$shape.sh"]
faults:
  f: "write errno=EIO path=\${run_dir}/nowhere/**"
duration: 300s
expect: [{fired: {fault: f, min: 0}}]
YML
done

# kill_many MODE SHAPE: MODE is cgroup, freeze (a cgroup without
# cgroup.kill, as before Linux 5.14) or subreaper; SHAPE orphans or tree
kill_many() {
	local mode=$1 shape=$2 pid sentry ctl big env_pid left
	note "$mode: $N daemons ($shape), then SIGKILL"
	FAULTRUN_REAP=$([ "$mode" = cgroup ] || echo "$mode") \
		"$FAULTRUN" "$W/$shape.yml" -v >"$W/out" 2>"$W/err" &
	pid=$!
	if ! check "$mode: all $N daemons are up" \
		wait_for 120 eval '[ "$(count "sleep 1000.$tok")" -ge "$N" ]'; then
		note "up: $(count "sleep 1000.$tok")"
		sed 's/^/#   /' "$W/err" | tail -5
	fi
	case $mode in
	cgroup | freeze)
		check "$mode: faultrun says it keeps the run in a cgroup" \
			grep -q "processes of the run: in the cgroup " "$W/err"
		check "$mode: a daemon is in the run part of faultrun's cgroup" \
			grep -q "^0::.*/faultrun\.$pid\.[0-9a-f]*/run\$" \
			"/proc/$(pgrep -f "sleep 1000.$tok" | head -1)/cgroup"
		;;
	subreaper) check "$mode: faultrun says it keeps the run as a subreaper" \
		grep -q "processes of the run: as a subreaper" "$W/err" ;;
	esac
	check "$mode: each is in its own session, with an empty environment" \
		[ "$(check_daemons "sleep 1000.$tok")" = 0 ]
	# a process outside faultrun's tree carrying the run's FAULTRUN_CTL
	# behind 1 MiB of other variables (128 KiB at most each: execve(2))
	ctl=$(tr '\0' '\n' <"/proc/$(pgrep -f "sleep 1001.$tok" | head -1)/environ" |
		sed -n 's/^FAULTRUN_CTL=//p')
	check "$mode: the target carries the run's block" [ -n "$ctl" ]
	big=$(head -c 104857 /dev/zero | tr '\0' x)
	env -i $(for i in 0 1 2 3 4 5 6 7 8 9; do echo "BIG$i=$big"; done) \
		FAULTRUN_CTL="$ctl" setsid sleep 1002.$tok &
	env_pid=$!
	check "$mode: its environment is over 1 MiB, FAULTRUN_CTL last" \
		wait_for 10 eval '[ "$(wc -c <"/proc/$env_pid/environ")" -gt 1048576 ] &&
			tr "\0" "\n" <"/proc/$env_pid/environ" | tail -1 | grep -q "^FAULTRUN_CTL="'
	if [ "$mode" = subreaper ]; then
		# the sentinel holds a pidfd on each process it has seen: let it
		# see them all (it looks every 100 ms; docs/reliability.md)
		# (with fewer descriptors allowed it holds the rest by start
		# time); a sentinel that died (a sanitizer report: its stderr is
		# /dev/null) holds none and the daemons would outlive faultrun
		sentry=$(pgrep -P "$pid" -x faultrun-sentry)
		check "$mode: the sentinel is running" eval '[ -n "$sentry" ] &&
			! grep -qs "^State:.*Z" "/proc/$sentry/status"'
		if wait_for 60 eval '[ "$(ls "/proc/$sentry/fd" 2>/dev/null | wc -l)" -gt "$N" ]'; then
			ok "$mode: the sentinel holds a descriptor for each daemon"
		elif [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -gt $((N + 100)) ]; then
			fail "$mode: the sentinel holds a descriptor for each daemon"
		fi
		note "the sentinel holds $(ls "/proc/$sentry/fd" 2>/dev/null | wc -l) descriptors"
	fi
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	if wait_for 30 eval '[ "$(count "sleep 100[012].$tok")" = 0 ]'; then
		ok "$mode: none of the $N daemons is left 30 s after the SIGKILL"
		ok "$mode: nor the process with the 1 MiB environment"
	else
		left=$(count "sleep 1000.$tok")
		check "$mode: none of the $N daemons is left 30 s after the SIGKILL ($left left)" \
			[ "$left" = 0 ]
		check "$mode: nor the process with the 1 MiB environment" \
			[ "$(count "sleep 1002.$tok")" = 0 ]
		check "$mode: nor the target" [ "$(count "sleep 1001.$tok")" = 0 ]
	fi
	if [ "$mode" != subreaper ]; then
		check "$mode: the run's cgroup is removed" \
			wait_for 10 eval '[ -z "$(ls -d "$(cgroup_dir)"/faultrun.$pid.* 2>/dev/null)" ]'
	fi
	pkill -KILL -f "sleep 100[012].$tok"
	wait "$env_pid" 2>/dev/null
	"$FAULTRUN" exec -q -- true
	check "$mode: the next faultrun removed the run directory" [ ! -e "${ctl%/*}" ]
}

if [ "$(id -u)" = 0 ] && can_cgroup; then
	kill_many cgroup orphans
	kill_many freeze orphans
else
	note "not root, or no writable cgroup2 hierarchy: the cgroup way is skipped"
fi
# the shape matters only where processes are followed through /proc
kill_many subreaper orphans
kill_many subreaper tree
finish
