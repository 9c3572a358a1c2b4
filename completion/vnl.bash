# bash completion for vnl(1)                                 -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-only
#
# Verbs, kinds, options per verb, and the names of a running lab's objects.
# Kinds and the options of `vnl add KIND` come from the kinds' schemas
# (`vnl __complete kinds`, `vnl __complete options [KIND]`), `vnl impair`'s
# options from its table (`vnl __complete impair`), and so do the
# words of a choice option (`vnl __complete values nic-type`). Object names
# come from `vnl [--lab L] __complete nodes|lans|nics`, which asks the lab's
# vnld (never starts one) and prints nothing when the lab does not run.
# Needs the bash-completion package's helpers.
# shellcheck disable=SC2207  # compgen output is split on purpose

_vnl_names()
{
	# $1: what (nodes, lans, nics, kinds); the lab options seen on the line follow.
	local what=$1
	shift
	"${_vnl_cmd:-vnl}" "$@" __complete "$what" 2>/dev/null
}

_vnl_takes_value()
{
	# $1: verb, $2: an option word: does it take the next word as its value?
	case $2 in
	--ip | -a | --format | -f | --output | -o | --timeout | --nic-type | --mtu) return 0 ;;
	--vxlan | --remote | --underlay | --local | --dstport) return 0 ;;
	esac
	if [[ $1 == impair ]]; then
		[[ $2 != --clear ]]
		return
	fi
	[[ $1 == capture ]] && case $2 in
	-c | --count | --duration | -s | --snaplen | --dir | --filter | -w | --write | -r | --read) return 0 ;;
	esac
	[[ $1 == add ]] || return 1
	[[ -n ${_vnl_addopts-} ]] || _vnl_addopts=" $("${_vnl_cmd:-vnl}" __complete options 2>/dev/null | tr '\n' ' ')"
	[[ $_vnl_addopts == *" $2 "* ]]
}

_vnl()
{
	local cur prev words cword
	_init_completion -n := || return

	local verbs="start stop add del set link unlink impair show stats fdb capture exec shell console cp wait reboot halt deploy save destroy graph events web version log-level"
	local i w verb='' nargs=0 dashdash=0 labopt=() args=()
	_vnl_cmd=${words[0]} _vnl_addopts=

	# Find the verb, the lab, how many positional arguments precede cur, and "--".
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if ((dashdash)); then
			nargs=$((nargs + 1))
			continue
		fi
		case $w in
		--lab | -l)
			labopt=(--lab "${words[i + 1]}")
			i=$((i + 1))
			;;
		--lab=*) labopt=("$w") ;;
		--)
			[[ $verb == exec ]] && dashdash=1 nargs=0
			;;
		-*)
			[[ -n $verb ]] && _vnl_takes_value "$verb" "$w" && i=$((i + 1))
			;;
		*)
			if [[ -z $verb ]]; then
				verb=$w
			else
				args+=("$w")
				nargs=$((nargs + 1))
			fi
			;;
		esac
	done

	case $prev in
	--lab | -l)
		local d
		local -A labs=()
		for d in /run/vnetlab/* /var/lib/vnetlab/*; do
			[[ -d $d ]] && labs[${d##*/}]=1
		done
		COMPREPLY=($(compgen -W "${!labs[*]}" -- "$cur"))
		return
		;;
	--format | -f)
		[[ $verb == graph ]] && COMPREPLY=($(compgen -W "dot mermaid svg" -- "$cur"))
		return
		;;
	--output | -o)
		[[ $verb == graph ]] && _filedir
		return
		;;
	--nic-type)
		COMPREPLY=($(compgen -W "$("$_vnl_cmd" __complete values nic-type 2>/dev/null)" -- "$cur"))
		return
		;;
	--write | -w | --read | -r)
		[[ $verb == capture ]] && { _filedir; [[ $prev == -w || $prev == --write ]] && COMPREPLY+=(-); }
		return
		;;
	--dir)
		[[ $verb == capture || $verb == impair ]] && COMPREPLY=($(compgen -W "in out both" -- "$cur"))
		return
		;;
	--distribution | --dist)
		[[ $verb == impair ]] && COMPREPLY=($(compgen -W "uniform normal" -- "$cur"))
		return
		;;
	-*)
		[[ -n $verb ]] && _vnl_takes_value "$verb" "$prev" && return
		;;
	esac

	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--lab --json --verbose --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		fi
		return
	fi

	if ((dashdash)); then
		# The command run in the node: a command name, then files.
		if ((nargs == 0)); then
			COMPREPLY=($(compgen -c -- "$cur"))
		else
			_filedir
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		local opts="--lab --json --verbose --help"
		case $verb in
		add)
			# The long options of the kind given, or of every kind.
			if [[ ${args[0]-} == lan ]]; then
				opts+=" $("$_vnl_cmd" __complete options lan 2>/dev/null)"
			else
				opts+=" $("$_vnl_cmd" __complete options ${args[0]:+"${args[0]}"} 2>/dev/null | grep -- '^--')"
			fi
			;;
		set) opts+=" $("$_vnl_cmd" __complete options lan 2>/dev/null)" ;;
		link) opts+=" --ip --nic-type" ;;
		impair) opts+=" $("$_vnl_cmd" __complete impair 2>/dev/null)" ;;
		graph) opts+=" --format --output" ;;
		exec) opts+=" --tty --" ;;
		cp) opts+=" --recursive" ;;
		wait) opts+=" --timeout" ;;
		capture) opts+=" --filter --count --duration --snaplen --dir --write --read" ;;
		esac
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi

	local words_=
	case $verb:$nargs in
	add:0) words_="lan $(_vnl_names kinds "${labopt[@]}")" ;;
	set:0) words_="lan" ;;
	set:1) words_=$(_vnl_names lans "${labopt[@]}") ;;
	del:0 | show:0) words_="$(_vnl_names nodes "${labopt[@]}") $(_vnl_names lans "${labopt[@]}")" ;;
	stats:0) words_="$(_vnl_names nics "${labopt[@]}") $(_vnl_names nodes "${labopt[@]}") $(_vnl_names lans "${labopt[@]}")" ;;
	exec:0) words_=$(_vnl_names nodes "${labopt[@]}") ;;
	exec:1) words_="--" ;;
	shell:0 | console:0 | reboot:0 | halt:0 | wait:*) words_=$(_vnl_names nodes "${labopt[@]}") ;;
	cp:*)
		_filedir
		return
		;;
	fdb:0) words_=$(_vnl_names lans "${labopt[@]}") ;;
	capture:*) words_="$(_vnl_names links "${labopt[@]}") $(_vnl_names lans "${labopt[@]}")" ;;
	log-level:0) words_="error warning info debug" ;;
	link:0 | unlink:0) words_=$(_vnl_names nics "${labopt[@]}") ;;
	impair:0) words_=$(_vnl_names links "${labopt[@]}") ;;
	link:1) words_=$(_vnl_names lans "${labopt[@]}") ;;
	deploy:0)
		_filedir '@(yaml|yml)'
		return
		;;
	save:0)
		_filedir
		[[ $cur == "" || $cur == - ]] && COMPREPLY+=(-)
		return
		;;
	*) return ;;
	esac
	COMPREPLY=($(compgen -W "$words_" -- "$cur"))
	__ltrim_colon_completions "$cur"
} &&
	complete -F _vnl vnl
