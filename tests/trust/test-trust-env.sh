#!/bin/bash
# A target's environment is what a shell would give it: "_" names the
# program being run (PM2's recovery re-runs itself through $_), and
# faultrun's own settings do not leak into it; only what the shim needs
# (FAULTRUN_CTL, LD_PRELOAD) and the documented FAULTRUN_SEED and
# FAULTRUN_RUN_DIR are there.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
# the system's python3 under env(1), which passes "_" through untouched:
# the "_" it sees is the one faultrun set for env, found on PATH (a
# python3 on PATH may be a wrapper script that re-sets it, as pyenv's is)
PY=/usr/bin/python3
[ -x "$PY" ] || { note "no $PY: skip"; exit 77; }
ENV=$(command -v env)
show='import os, json; print(json.dumps({"_": os.environ.get("_"), "own": sorted(k for k in os.environ if k.startswith("FAULTRUN_"))}))'

note "faultrun exec"
FAULTRUN_TARGETS=/x FAULTRUN_MARIADBD=/y "$FAULTRUN" exec -q -- env "$PY" -c "$show" \
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
FAULTRUN_TARGETS=/x FAULTRUN_MARIADBD=/y "$FAULTRUN" "$D/env.yml" -q -v >"$D/out" 2>"$D/err"
rc=$?
check "exit 0" test "$rc" = 0
line=$(grep -o '{"_".*}' "$D/err" | head -1)
check "_ is the program's path, FAULTRUN_* only CTL, RUN_DIR and SEED" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
sys.exit(0 if j["_"] == sys.argv[2] and j["own"] == ["FAULTRUN_CTL", "FAULTRUN_RUN_DIR", "FAULTRUN_SEED"] else 1)' "$line" "$ENV"
finish
