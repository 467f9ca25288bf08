# bash completion for wslplug. Subcommands and flags are read from `wslplug ... --help`, so the
# completion always matches the installed binary. Install: source this file, or copy it to
# /usr/share/bash-completion/completions/wslplug (cmake --install does).
_wslplug() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  fi
  local bin=${words[0]}
  # Subcommand path typed so far (words that do not start with '-').
  local path=() i
  for ((i = 1; i < cword; i++)); do
    [[ ${words[i]} == -* ]] && break
    path+=("${words[i]}")
  done
  local help
  help=$("$bin" "${path[@]}" --help 2>/dev/null) || return
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' <<<"$help" | sort -u)" -- "$cur"))
    return
  fi
  local subs
  subs=$(awk '/^Subcommands:/{s=1;next} s&&/^  [a-z]/{print $1} s&&/^$/{s=0}' <<<"$help")
  if [[ -n $subs && ${#path[@]} -eq $((cword - 1)) ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _wslplug wslplug
