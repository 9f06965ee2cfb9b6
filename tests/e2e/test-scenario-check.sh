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
# `check -v` says ok only for a file it accepts: not when a --set names no
# var (the whole command is refused), and only for the good one of two
"$FAULTRUN" check -v "$SCENARIOS/disk-full.yml" --set nosuchvar=1 >"$WORK/set.out" 2>"$WORK/set.err"
check "an unused --set is refused (exit 2)" test $? = 2
check "... naming it" grep -q "no scenario has a var 'nosuchvar'" "$WORK/set.err"
check "... and no file is called ok" test ! -s "$WORK/set.out"
printf 'name: x\nbogus: 1\n' >"$WORK/bad.yml"
"$FAULTRUN" check -v "$SCENARIOS/disk-full.yml" "$WORK/bad.yml" >"$WORK/two.out" 2>"$WORK/two.err"
check "a bad file among two is refused (exit 2)" test $? = 2
check "... the good one is ok" grep -q "^ok .*disk-full.yml" "$WORK/two.out"
check "... the bad one is not" sh -c "! grep -q bad.yml '$WORK/two.out'"
check "... and named with its line" grep -q "bad.yml:2:" "$WORK/two.err"
# every target a scenario names exists in FAULTRUN_TARGETS
for t in $(grep -ho 'FAULTRUN_TARGETS}/[a-z-]*' "$SCENARIOS"/*.yml | sort -u); do
	check "target ${t#*/} is built" test -x "$FAULTRUN_TARGETS/${t#*/}"
done
# without FAULTRUN_TARGETS, faultrun finds the build tree's targets itself
out=$(env -u FAULTRUN_TARGETS "$FAULTRUN" check "$SCENARIOS/disk-full.yml" 2>&1)
check "FAULTRUN_TARGETS defaults to the build tree ($out)" test $? = 0

finish
