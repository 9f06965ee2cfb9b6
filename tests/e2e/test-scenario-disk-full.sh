#!/bin/bash
# scenarios/disk-full.yml (incident 000) through faultrun against the
# supervised-log target: the fixed supervisor passes; the buggy one fails
# because the site is down while the log disk is full and does not come
# back after it (the incident), in every disk mode (the disk model, full,
# budget).
. "$(dirname "$0")/test-scenario-lib.sh"

N=7 # assertions: 5 written + fired log-*, fired state-ro

for disk in model full budget; do
	f=log-$disk

	run_scenario "fixed-$disk" disk-full.yml --set disk=$disk
	passes "fixed-$disk" $N
	ran_marked "fixed-$disk" 3 # faultrun, the supervisor, its app
	check "fixed-$disk: table: availability during $f ok" \
		table_line "fixed-$disk" ok "availability of home during $f"
	check "fixed-$disk: table: both faults fired" \
		sh -c "grep -qE '^  ok +fault $f fired +[1-9][0-9]* injection' '$WORK/fixed-$disk.out' &&
		       grep -qE '^  ok +fault state-ro fired +[1-9][0-9]* injection' '$WORK/fixed-$disk.out'"

	run_scenario "buggy-$disk" disk-full.yml --set disk=$disk --set variant=buggy
	fails_on "buggy-$disk" $N
	ran_marked "buggy-$disk" 3
	check "buggy-$disk: ran with variant=buggy" \
		grep -qF "variant=buggy, disk=$disk]" "$WORK/buggy-$disk.out"
	# the reason: the site went down during the fault and stayed down
	check "buggy-$disk: table: availability during $f FAILs" \
		table_line "buggy-$disk" FAIL "availability of home during $f"
	check "buggy-$disk: table: recovery FAILs (not recovered)" \
		grep -qE "^  FAIL +home recovers after $f +not recovered" "$WORK/buggy-$disk.out"
	check "buggy-$disk: JUnit: availability failure with the measured value" \
		junit "buggy-$disk" fail "availability of home during $f" \
		'^measured [0-9.]+% \([0-9]+ of [0-9]+ ok\), expected >= 80%$'
	check "buggy-$disk: JUnit: recovery failure with the measured value" \
		junit "buggy-$disk" fail "home recovers after $f" \
		'^measured not recovered \(watched .* after clear 1\), expected <= 2s$'
	# what did not go wrong: steady state held, the supervisor never died,
	# and the faults fired (the buggy supervisor's resurrect hit EACCES)
	check "buggy-$disk: JUnit: steady state before the fault passed" \
		junit "buggy-$disk" pass "availability of home before $f"
	check "buggy-$disk: JUnit: the supervisor was not restarted" \
		junit "buggy-$disk" pass "target restarts"
	check "buggy-$disk: JUnit: state-ro fired" \
		junit "buggy-$disk" pass "fault state-ro fired"
	check "buggy-$disk: the supervisor's own words" \
		sh -c "grep -q 'uncaught exception' '$WORK/buggy-$disk.xml' &&
		       grep -q 'resurrect failed' '$WORK/buggy-$disk.xml'"
done

finish
