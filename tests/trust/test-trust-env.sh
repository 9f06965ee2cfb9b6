#!/bin/bash
# A target's environment is what a shell would give it: "_" names the
# program being run (PM2's recovery re-runs itself through $_), and
# faultrun's own settings do not leak into it; only what the shim needs
# (FAULTRUN_CTL, LD_PRELOAD) and the documented FAULTRUN_SEED,
# FAULTRUN_RUN_DIR and (in a scenario) FAULTRUN_UNIT are there; and no descriptor of faultrun's (libcurl's
# wake-up socketpair, its event loop...) reaches the target.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
# the system's python3 under env(1), which passes "_" through untouched:
# the "_" it sees is the one faultrun set for env, found on PATH (a
# python3 on PATH may be a wrapper script that re-sets it, as pyenv's is)
PY=/usr/bin/python3
[ -x "$PY" ] || { note "no $PY: skip"; exit 77; }
ENV=$(command -v env)
show='import os, json; print(json.dumps({"_": os.environ.get("_"), "own": sorted(k for k in os.environ if k.startswith("FAULTRUN_"))}))'

note "faultrun exec"
FAULTRUN_TARGETS=/x FAULTRUN_MARIADBD=/y FAULTRUN_REAP=subreaper "$FAULTRUN" exec -q -- env "$PY" -c "$show" \
	>"$D/out" 2>"$D/err"
rc=$?
check "exit 0" test "$rc" = 0
check "_ is the program's path, FAULTRUN_* only CTL and SEED" python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
sys.exit(0 if j["_"] == sys.argv[2] and j["own"] == ["FAULTRUN_CTL", "FAULTRUN_SEED"] else 1)' "$D/out" "$ENV"

note "a scenario's target"
cat >"$D/env.yml" <<YML
name: env
target:
  command: [env, $PY, -c, '$show; import time; time.sleep(30)']
  ready: {log: '"_"', deadline: 10s}
duration: 300ms
expect: [{exits: 0}]
YML
FAULTRUN_TARGETS=/x FAULTRUN_MARIADBD=/y FAULTRUN_REAP=subreaper "$FAULTRUN" "$D/env.yml" -q -v >"$D/out" 2>"$D/err"
rc=$?
check "exit 0" test "$rc" = 0
line=$(grep -o '{"_".*}' "$D/err" | head -1)
check "_ is the program's path, FAULTRUN_* only CTL, RUN_DIR, SEED and UNIT" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
sys.exit(0 if j["_"] == sys.argv[2] and j["own"] == ["FAULTRUN_CTL", "FAULTRUN_RUN_DIR", "FAULTRUN_SEED", "FAULTRUN_UNIT"] else 1)' "$line" "$ENV"
note "no descriptor of faultrun's reaches a target"
fds='import os, sys, time; l = sorted(os.listdir("/proc/self/fd"), key=int); open(sys.argv[1], "w").write(" ".join(l)); time.sleep(30)'
"$PY" -c "${fds%; time.sleep(30)}" "$D/plain.fds" &
wait $!
cat >"$D/fds.yml" <<YML
name: fds
target:
  command: ['$PY', -c, '$fds', '$D/target.fds']
  ready: {exec: "test -s '$D/target.fds'", deadline: 10s}
probes:
  web: {http: "http://127.0.0.1:9/", interval: 100ms}
duration: 300ms
expect: [{exits: 0}]
YML
"$FAULTRUN" "$D/fds.yml" -q >"$D/out" 2>"$D/err"
rc=$?
check "the scenario ran (exit 0)" test "$rc" = 0
check "its target has the descriptors a plain run has ($(cat "$D/plain.fds"))" \
	sh -c "[ \"\$(cat '$D/target.fds')\" = \"\$(cat '$D/plain.fds')\" ]"
"$FAULTRUN" exec -q -- "$PY" -c "${fds%; time.sleep(30)}" "$D/exec.fds" >"$D/out" 2>"$D/err"
check "so does a command under exec" sh -c "[ \"\$(cat '$D/exec.fds')\" = \"\$(cat '$D/plain.fds')\" ]"
finish
