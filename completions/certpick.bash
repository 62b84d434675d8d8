# bash completion for certpick. Commands and options are read from
# `certpick --help` and `certpick COMMAND --help`, so they never drift.
_certpick()
{
	local cur prev cmd opts i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version -v --debug --no-color" -- "$cur"))
		else
			opts=$("${COMP_WORDS[0]}" --help 2>/dev/null |
				sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
			COMPREPLY=($(compgen -W "$opts help" -- "$cur"))
		fi
		return
	fi
	case $prev in
	--client)
		COMPREPLY=($(compgen -W "windows chrome chrome-mac chrome-win firefox nss java java-pkix go gnutls openssl curl python dotnet all" -- "$cur"))
		return ;;
	--phase)
		COMPREPLY=($(compgen -W "initial renegotiation post_handshake" -- "$cur"))
		return ;;
	-X|--request)
		COMPREPLY=($(compgen -W "GET POST PUT DELETE PATCH HEAD OPTIONS" -- "$cur"))
		return ;;
	-d|--data|--data-binary)
		[[ $cur == @* ]] && COMPREPLY=($(compgen -f -- "${cur#@}" | sed 's/^/@/'))
		return ;;
	--password-env|--pin-env|--service-password-env)
		COMPREPLY=($(compgen -v -- "$cur"))
		return ;;
	--trust|--keylog|--ca-names|--password-file|--pin-file|--service-password-file|--cert|--key|--crl|--save|--request|--targets|--keep|--nssdb|-o|--output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
			grep -oE -- '(^|[[ ,])--?[a-zA-Z0-9][a-zA-Z0-9.-]*' | sed 's/^[[ ,]//' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _certpick certpick
