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
  # Values of `run` (and `build --run`) options.
  case $prev in
    --wsl-version) COMPREPLY=($(compgen -W "2.0.5 2.1.3 2.4.4 2.9.5" -- "$cur")); return ;;
    --scenario) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur")); return ;;
    --distro) COMPREPLY=($(compgen -W "Ubuntu bare" -- "$cur")); return ;;
    --hook-timeout|--repeat|--name) return ;;
  esac
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
