#!/bin/bash
# scenarios/disk-full-recovery.yml through faultrun against the
# supervised-log target: the log disk (a disk fault) fills up and a
# timeline step frees 1 MiB on it. The fixed supervisor keeps the site up
# and everything is served again with nobody's help; the buggy one loses
# its app when the disk fills and the site is down until space comes back.
. "$(dirname "$0")/test-scenario-lib.sh"

N=5

run_scenario fixed disk-full-recovery.yml
passes fixed $N
check "fixed: the disk step ran" grep -qE "disk log-disk: free \+1048576 bytes" "$WORK/fixed.out" "$WORK/fixed.err"
check "fixed: table: served again after the free" \
	table_line fixed ok "availability of load 7s..end"
check "fixed: the disk filled (ENOSPC fired)" \
	sh -c "grep -qE '^  ok +fault log-disk fired +[1-9][0-9]* injection' '$WORK/fixed.out'"

run_scenario buggy disk-full-recovery.yml --set variant=buggy
fails_on buggy $N
check "buggy: table: the site was down while the disk was full" \
	table_line buggy FAIL "availability of home 2s..6s"

finish
