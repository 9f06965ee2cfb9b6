#!/bin/bash
# completion/faultrun.bash in a real bash, alone and under bash-completion
# (when installed): complete -p, then _faultrun with COMP_WORDS/COMP_CWORD
# for subcommands, an exec option, a scenario file, the pid of a live run
# and the rule names of that run (faultrun ctl list of it).
# Needs FAULTRUN, FAULTRUN_SHIM and COMPLETION (the file).
. "$(dirname "$0")/test-exec-lib.sh"
: "${COMPLETION:?}"

# a live run to complete: paused, so its rule stays put; killed at the end
"$FAULTRUN" exec -q --paused -f 'write errno=EIO name=foo' -f 'read errno=EIO name=bar' \
	-- sleep 5 2>/dev/null &
run=$!
trap 'kill $run 2>/dev/null; wait $run 2>/dev/null; rm -rf "$D"' EXIT
for _ in $(seq 100); do
	"$FAULTRUN" ctl --run "$run" list >/dev/null 2>&1 && break
	sleep 0.05
done
check "the run is live" sh -c "'$FAULTRUN' ctl --run $run list >/dev/null"

mkdir -p "$D/w" && cd "$D/w" && : >a.yml && : >b.yaml && : >c.txt && mkdir sub
# comp WORD...: complete the last word; the candidates, one a line, sorted
cat >"$D/comp.sh" <<'EOS'
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_faultrun "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
EOS
cases() { # cases LABEL [SETUP FILE]: every check in a fresh bash
	local label=$1 setup=${2:-/dev/null}
	bash_do() { bash -c ". '$setup'; . '$COMPLETION'; . '$D/comp.sh'; $1" 2>"$D/err"; }
	check "$label: complete -p names _faultrun" \
		sh -c "[ \"\$(bash -c \". '$setup'; . '$COMPLETION'; complete -p faultrun\")\" = 'complete -F _faultrun faultrun' ]"
	out=$(bash_do "comp faultrun ''")
	check "$label: subcommands" sh -c "printf '%s\n' '$out' | grep -qx exec && printf '%s\n' '$out' | grep -qx ctl && printf '%s\n' '$out' | grep -qx report && printf '%s\n' '$out' | grep -qx help"
	check "$label: scenarios beside the subcommands" sh -c "printf '%s\n' '$out' | grep -qx a.yml && printf '%s\n' '$out' | grep -qx b.yaml"
	check "$label: no other file" sh -c "! printf '%s\n' '$out' | grep -qx c.txt"
	check "$label: 'e' is exec" [ "$(bash_do "comp faultrun e")" = exec ]
	check "$label: exec --pa is --paused" [ "$(bash_do "comp faultrun exec --pa")" = --paused ]
	check "$label: exec -f SPEC -- --ma is --may-not-fire" \
		[ "$(bash_do "comp faultrun exec -f 'x' --ma")" = --may-not-fire ]
	check "$label: run a is a.yml" [ "$(bash_do "comp faultrun run a")" = a.yml ]
	check "$label: check a is a.yml" [ "$(bash_do "comp faultrun check a")" = a.yml ]
	check "$label: exec --backend s is seccomp" [ "$(bash_do "comp faultrun exec --backend s")" = seccomp ]
	check "$label: run --sh is --shard" [ "$(bash_do "comp faultrun run --sh")" = --shard ]
	check "$label: report --me is --merge" [ "$(bash_do "comp faultrun report --me")" = --merge ]
	check "$label: ctl events --f is --follow" [ "$(bash_do "comp faultrun ctl events --f")" = --follow ]
	check "$label: ctl add --pa is --paused" [ "$(bash_do "comp faultrun ctl add --pa")" = --paused ]
	check "$label: ctl r is remove" [ "$(bash_do "comp faultrun ctl r")" = remove ]
	check "$label: help sc is scenario" [ "$(bash_do "comp faultrun help sc")" = scenario ]
	check "$label: ctl a is add/arm" [ "$(bash_do "comp faultrun ctl a" | tr '\n' ' ')" = "add arm " ]
	check "$label: ctl --run lists the live run's pid" \
		sh -c "bash -c \". '$setup'; . '$COMPLETION'; . '$D/comp.sh'; comp faultrun ctl --run ''\" | grep -qx $run"
	check "$label: ctl --run /... its directory" \
		sh -c "bash -c \". '$setup'; . '$COMPLETION'; . '$D/comp.sh'; comp faultrun ctl --run /\" | grep -q -- '-$run-'"
	check "$label: ctl --run PID arm: its rules" \
		[ "$(bash_do "comp '$FAULTRUN' ctl --run $run arm ''" | tr '\n' ' ')" = "bar foo " ]
	check "$label: ctl remove b --run PID: bar" \
		[ "$(bash_do "comp '$FAULTRUN' ctl --run $run remove b")" = bar ]
	check "$label: ctl --run PID disarm f: foo" \
		[ "$(bash_do "comp '$FAULTRUN' ctl --run $run disarm f")" = foo ]
}
cases "plain bash"
bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then cases "bash-completion" "$bc"; else note "no bash-completion: its pass skipped"; fi

kill "$run" 2>/dev/null
wait "$run" 2>/dev/null
check "the run is gone" sh -c "! kill -0 $run 2>/dev/null"
finish
