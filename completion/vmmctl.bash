# vmmctl.bash: bash completion for vmmctl — commands, options, and domain, pool, volume and snapshot names asked from the bus.
#
# Commands come from `vmmctl --help` and each command's options and arguments from
# `vmmctl help COMMAND`, so the completion never lags behind the program. Names are
# listed by vmmctl itself on the bus that the command line selects (-c URI or
# $VMMD_BUS_ADDRESS); when the daemon cannot be reached there are simply no names.

_vmmctl_commands() {
	"$1" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'
}

# _vmmctl_names VMMCTL CONNECT... -- KIND [POOL|DOMAIN]
_vmmctl_names() {
	local vmmctl=$1
	shift
	local -a conn=()
	while [[ $1 != -- ]]; do conn+=("$1"); shift; done
	shift
	case $1 in
	domain) "$vmmctl" "${conn[@]}" list --all --name 2>/dev/null ;;
	pool) "$vmmctl" "${conn[@]}" pool-list --all --name 2>/dev/null ;;
	volume) [[ -n ${2:-} ]] && "$vmmctl" "${conn[@]}" vol-list "$2" 2>/dev/null | awk 'NR > 2 && NF { print $1 }' ;;
	snapshot) [[ -n ${2:-} ]] && "$vmmctl" "${conn[@]}" snapshot-list "$2" --name 2>/dev/null ;;
	esac
}

_vmmctl() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local vmmctl=${words[0]} i cmd= cmdi=0
	local -a conn=()

	# the global options come before the command
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c | --connect) conn=(-c "${words[i + 1]}"); ((i++)) ;;
		--connect=*) conn=("${words[i]}") ;;
		-*) ;;
		*) cmd=${words[i]} cmdi=$i; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		case $prev in
		-c | --connect)
			COMPREPLY=($(compgen -W 'dbus:session dbus:system qemu:///session qemu:///system' -- "$cur"))
			return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-c --connect -h --help -v --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_vmmctl_commands "$vmmctl") help" -- "$cur"))
		fi
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$(_vmmctl_commands "$vmmctl")" -- "$cur"))
		return
	fi

	local help usage
	help=$("$vmmctl" help "$cmd" 2>/dev/null) || return
	usage=$(sed -n '1s/^Usage: vmmctl [^ ]*//p' <<<"$help")
	# an option that takes a value: complete the value
	local argname
	argname=$(awk -v o="$prev" '$1 == o && NF > 1 && $2 ~ /^[A-Z|]+$/ { print $2; exit }' <<<"$help")
	if [[ $prev == -* && -n $argname ]]; then
		case $argname in
		POOL) COMPREPLY=($(compgen -W "$(_vmmctl_names "$vmmctl" "${conn[@]}" -- pool)" -- "$cur")) ;;
		SNAP) COMPREPLY=($(compgen -W "$(_vmmctl_names "$vmmctl" "${conn[@]}" -- snapshot "${words[cmdi + 1]}")" -- "$cur")) ;;
		FILE | DXML | *PATH*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(awk '$1 ~ /^--/ { print $1 }' <<<"$help")" -- "$cur"))
		return
	fi

	# which positional argument this is (options with a value take the next word)
	local pos=0 w
	for ((i = cmdi + 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $w == -* ]]; then
			awk -v o="$w" '$1 == o && NF > 1 && $2 ~ /^[A-Z|]+$/ { found = 1 } END { exit !found }' <<<"$help" && ((i++))
			continue
		fi
		((pos++))
	done
	# the positional names in the usage line: optional option groups dropped, an
	# optional positional ([SNAP|--current]) kept, required options and their values skipped
	local -a args=()
	local skip=0
	for w in $(sed -e 's/\[--[^]]*\]//g' <<<"$usage" | tr -d '[]'); do
		if ((skip)); then skip=0; continue; fi
		case $w in
		-*) [[ $w != *'|'* ]] && skip=1 ;;
		*) args+=("${w%%|*}") ;;
		esac
	done
	local what=${args[pos]:-}
	local pool=
	for ((i = cmdi + 1; i < ${#words[@]} - 1; i++)); do
		[[ ${words[i]} == --pool ]] && pool=${words[i + 1]}
	done
	case $what in
	DOMAIN) COMPREPLY=($(compgen -W "$(_vmmctl_names "$vmmctl" "${conn[@]}" -- domain)" -- "$cur")) ;;
	POOL) COMPREPLY=($(compgen -W "$(_vmmctl_names "$vmmctl" "${conn[@]}" -- pool)" -- "$cur")) ;;
	VOL*) if [[ -n $pool ]]; then
			COMPREPLY=($(compgen -W "$(_vmmctl_names "$vmmctl" "${conn[@]}" -- volume "$pool")" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	SNAP*) COMPREPLY=($(compgen -W "$(_vmmctl_names "$vmmctl" "${conn[@]}" -- snapshot "${words[cmdi + 1]}")" -- "$cur")) ;;
	FILE | *XML* | KEY* | *PATH*) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -F _vmmctl vmmctl
