# bash completion for faultrun(1)                          -*- shell-script -*-
#
# faultrun [run] SCENARIO.yml..., check, exec, ctl, report, help.
# Uses bash-completion's helpers when they are loaded (_init_completion,
# _filedir, _command_offset) and plain compgen otherwise, so that sourcing
# this file alone is enough.

# The directories live runs are in, as faultrun ctl looks for them
# (harness/core/io/launch.c: fr_rundir_base and fr_rundir_base_mem).
_faultrun_run_bases()
{
	local uid=${EUID:-$(id -u)}
	if [[ -n ${XDG_RUNTIME_DIR-} && -w $XDG_RUNTIME_DIR ]]; then
		printf '%s\n' "$XDG_RUNTIME_DIR/faultrun"
	else
		printf '%s\n' "/tmp/faultrun-$uid" "/dev/shm/faultrun-$uid"
	fi
}

# Live runs: "PID DIR" per line. A run directory is TAG-PID-XXXXXX with a
# control block "ctl", live while PID runs.
_faultrun_runs()
{
	local base dir name pid
	while read -r base; do
		for dir in "$base"/*-*-*; do
			[[ -r $dir/ctl ]] || continue
			name=${dir##*/}
			name=${name%-*}
			pid=${name##*-}
			[[ $pid == +([0-9]) ]] || continue
			kill -0 "$pid" 2>/dev/null || [[ -d /proc/$pid ]] || continue
			printf '%s %s\n' "$pid" "$dir"
		done
	done < <(_faultrun_run_bases)
}

# Rule names of the run a ctl command line names (--run X, or the default).
_faultrun_rules()
{
	local prog=$1 args=(ctl)
	[[ -n $2 ]] && args+=(--run "$2")
	"$prog" "${args[@]}" list 2>/dev/null |
		sed -n "s/^rule '\([^']*\)' .*/\1/p"
}

# Files with one of the extensions in $1 (a glob alternation), and directories.
_faultrun_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$1"
	else
		local IFS=$'\n' f
		COMPREPLY=()
		for f in $(compgen -f -- "$cur"); do
			[[ -d $f || $f == *.@($1) ]] && COMPREPLY+=("$f")
		done
	fi
}

_faultrun()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local restore_extglob
	shopt -q extglob || restore_extglob=1
	shopt -s extglob

	local cmd=run i=1
	case ${words[1]-} in
	run | check | exec | ctl | report | help)
		cmd=${words[1]}
		i=2
		;;
	esac

	if ((cword == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help --version -V --set --junit --json
				--html --jobs --keep --quiet --verbose --shard --list' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'run check exec ctl report help' -- "$cur"))
			local sub=("${COMPREPLY[@]}")
			COMPREPLY=() # _filedir appends
			_faultrun_files 'yml|yaml'
			COMPREPLY=("${sub[@]}" "${COMPREPLY[@]}")
		fi
		[[ -n $restore_extglob ]] && shopt -u extglob
		return 0
	fi

	case $cmd in
	run | check)
		case $prev in
		--junit | --json | --html)
			_faultrun_files 'xml|json|html'
			;;
		--set | -j | --jobs | --shard) ;;
		*)
			if [[ $cur == -* ]]; then
				local opts='--set --quiet --verbose --help -q -v -h'
				[[ $cmd == run ]] && opts+=' --junit --json --html --jobs --keep -j --shard --list'
				COMPREPLY=($(compgen -W "$opts" -- "$cur"))
			else
				_faultrun_files 'yml|yaml'
			fi
			;;
		esac
		;;
	exec)
		# after "--": the command and its arguments
		local j
		for ((j = i; j < cword; j++)); do
			if [[ ${words[j]} == -- ]]; then
				if declare -F _command_offset >/dev/null; then
					_command_offset $((j + 1))
				elif ((cword == j + 1)); then
					COMPREPLY=($(compgen -c -- "$cur"))
				else
					COMPREPLY=($(compgen -f -- "$cur"))
				fi
				[[ -n $restore_extglob ]] && shopt -u extglob
				return 0
			fi
		done
		case $prev in
		-f | --fault | --seed) ;;
		--user)
			COMPREPLY=($(compgen -u -- "$cur"))
			;;
		--json)
			_faultrun_files 'json'
			;;
		--backend)
			COMPREPLY=($(compgen -W 'preload seccomp auto' -- "$cur"))
			;;
		*)
			COMPREPLY=($(compgen -W '--fault --backend --paused --may-not-fire --user
				--seed --json --quiet --help -f -q -h --' -- "$cur"))
			;;
		esac
		;;
	ctl)
		local run= verb= j
		for ((j = i; j < cword; j++)); do
			case ${words[j]} in
			--run) ((j++)) && run=${words[j]} ;;
			--run=*) run=${words[j]#--run=} ;;
			-*) ;;
			*) [[ -z $verb ]] && verb=${words[j]} ;;
			esac
		done
		if [[ $prev == --run ]]; then
			local pid dir
			COMPREPLY=()
			while read -r pid dir; do
				if [[ $cur == */* ]]; then
					[[ $dir == "$cur"* ]] && COMPREPLY+=("$dir")
				else
					[[ $pid == "$cur"* ]] && COMPREPLY+=("$pid")
				fi
			done < <(_faultrun_runs)
		elif [[ $cur == -* ]]; then
			# options may come anywhere; some belong to one verb
			local opts='--run --json --help'
			case $verb in
			events) opts+=' --follow' ;;
			add) opts+=' --paused' ;;
			esac
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		elif [[ -z $verb ]]; then
			COMPREPLY=($(compgen -W 'list events arm disarm add remove' -- "$cur"))
		elif [[ ($verb == arm || $verb == disarm || $verb == remove) && $prev == "$verb" ]]; then
			local IFS=$'\n'
			COMPREPLY=($(compgen -W "$(_faultrun_rules "${words[0]}" "$run")" -- "$cur"))
		fi
		;;
	report)
		if [[ $prev == --html ]]; then
			_faultrun_files 'html'
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--html --merge --quiet --help -q -h' -- "$cur"))
		else
			_faultrun_files 'json|xml'
		fi
		;;
	help)
		((cword == 2)) &&
			COMPREPLY=($(compgen -W 'exec ctl scenario faults run check report' -- "$cur"))
		;;
	esac
	[[ -n $restore_extglob ]] && shopt -u extglob
	return 0
}
complete -F _faultrun faultrun
