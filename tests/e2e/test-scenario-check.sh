#!/bin/bash
# `faultrun check` accepts every scenario of the incident library, with
# each of its variants, and names the targets through FAULTRUN_TARGETS.
. "$(dirname "$0")/test-scenario-lib.sh"

files=$(ls "$SCENARIOS"/*.yml)
check "there are scenarios" test -n "$files"
for f in $files; do
	b=$(basename "$f")
	check "check $b" "$FAULTRUN" check "$f"
	check "check $b --set variant=buggy" "$FAULTRUN" check "$f" --set variant=buggy
done
check "check disk-full.yml --set disk=budget" \
	"$FAULTRUN" check "$SCENARIOS/disk-full.yml" --set disk=budget
check "check scenarios/ (a directory)" "$FAULTRUN" check "$SCENARIOS"
# a wrong variant is refused with the choices
"$FAULTRUN" check "$SCENARIOS/disk-full.yml" --set variant=bugy >"$WORK/bad.out" 2>&1
check "a misspelt variant is refused (exit 2)" test $? = 2
check "... naming the choices" grep -q "expected one of fixed, buggy (did you mean 'buggy'?)" "$WORK/bad.out"
# every target a scenario names exists in FAULTRUN_TARGETS
for t in $(grep -ho 'FAULTRUN_TARGETS}/[a-z-]*' "$SCENARIOS"/*.yml | sort -u); do
	check "target ${t#*/} is built" test -x "$FAULTRUN_TARGETS/${t#*/}"
done
# without FAULTRUN_TARGETS, faultrun finds the build tree's targets itself
out=$(env -u FAULTRUN_TARGETS "$FAULTRUN" check "$SCENARIOS/disk-full.yml" 2>&1)
check "FAULTRUN_TARGETS defaults to the build tree ($out)" test $? = 0

finish
