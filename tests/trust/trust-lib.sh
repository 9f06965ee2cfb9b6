# Helpers for tests/trust/test-*.sh (sourced): real programs under
# `faultrun exec` with a path rule, checked for the faults that must land
# and for every fault that must not. Needs FAULTRUN and FAULTRUN_SHIM.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"

# only_faulted JOURNAL DIR: the run injected, and every injection event
# names a file under DIR (a socket, pipe or eventfd never appears)
only_faulted() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ev = j["events"]
bad = [e for e in ev if not e["where"].startswith(sys.argv[2] + "/")]
for e in bad[:5]:
    print("# faulted outside the rule's paths: %s %s on %s" % (e["op"], e["errno"], e["where"]))
injected = sum(r["injected"] for r in j["rules"])
if j["events_total"] != len(ev):
    print("# %d events were not recorded: cannot tell" % (j["events_total"] - len(ev)))
sys.exit(0 if injected > 0 and not bad and j["events_total"] == len(ev) else 1)
PY
}
