# bash completion for payrecon. Generated from the command table by `payrecon completion bash`; do not
# edit (a unit test fails when this file and the table disagree). Install as
# /usr/share/bash-completion/completions/payrecon.

_payrecon_files() {
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$cur"))
}

_payrecon() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local cmd="" word i
  COMPREPLY=()
  # The command so far: the first word that is neither an option nor a global option's value, and after
  # a group the word that follows it.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case "$word" in
      --config|--log-format|--log-level) ((i++)) ;;
      -*) ;;
      *)
        if [[ -z $cmd ]]; then
          cmd=$word
        elif [[ $cmd != *" "* ]] && [[ " config discrepancies completion " == *" $cmd "* ]]; then
          cmd="$cmd $word"
        fi
        ;;
    esac
  done
  case "$prev" in
    --config) _payrecon_files; return ;;
    --log-format) COMPREPLY=($(compgen -W "json text" -- "$cur")); return ;;
    --log-level) COMPREPLY=($(compgen -W "debug info warn error" -- "$cur")); return ;;
  esac
  local options="" operand=""
  case "$cmd" in
    "")
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help --config --log-format --log-level --version" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "migrate import run backfill report config discrepancies check show pending prune help version completion" -- "$cur"))
      fi
      return ;;
    "config") COMPREPLY=($(compgen -W "check" -- "$cur")); return ;;
    "discrepancies") COMPREPLY=($(compgen -W "list resolve" -- "$cur")); return ;;
    "completion") COMPREPLY=($(compgen -W "bash" -- "$cur")); return ;;
    "migrate")
      options="" ;;
    "import")
      options=""; operand=file ;;
    "run")
      case "$prev" in
        --limit|--deadline) return ;;
      esac
      options="--limit --deadline --dry-run --strict" ;;
    "backfill")
      case "$prev" in
        --kind) COMPREPLY=($(compgen -W "charge refund topup" -- "$cur")); return ;;
        --from|--to|--merchant|--resume|--deadline) return ;;
      esac
      options="--from --to --kind --merchant --resume --deadline --dry-run --strict" ;;
    "report")
      case "$prev" in
        --run) return ;;
      esac
      options="--run" ;;
    "config check")
      options="--offline" ;;
    "discrepancies list")
      case "$prev" in
        --code) COMPREPLY=($(compgen -W "AMOUNT_MISMATCH CURRENCY_MISMATCH NOT_FOUND CHECK_FAILING SIGNATURE_INVALID STUCK_PENDING STATUS_CONFLICT UNKNOWN_STATUS MERCHANT_CONFIG" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "table csv json" -- "$cur")); return ;;
        --limit) return ;;
      esac
      options="--code --open --limit --format" ;;
    "discrepancies resolve")
      case "$prev" in
        --note|--by) return ;;
      esac
      options="--note --by" ;;
    "check")
      case "$prev" in
        --kind) COMPREPLY=($(compgen -W "charge refund topup" -- "$cur")); return ;;
        --merchant|--txn) return ;;
      esac
      options="--merchant --txn --kind --dry-run" ;;
    "show")
      case "$prev" in
        --kind) COMPREPLY=($(compgen -W "charge refund topup" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
        --merchant|--txn) return ;;
      esac
      options="--merchant --txn --kind --format" ;;
    "pending")
      case "$prev" in
        --format) COMPREPLY=($(compgen -W "csv json" -- "$cur")); return ;;
        --kind) COMPREPLY=($(compgen -W "charge refund topup" -- "$cur")); return ;;
        --older-than) return ;;
      esac
      options="--format --kind --older-than" ;;
    "prune")
      case "$prev" in
        --older-than) return ;;
      esac
      options="--older-than" ;;
    "help")
      options=""; operand=commands ;;
    "version")
      options="" ;;
    "completion bash")
      options="" ;;
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options --help --config --log-format --log-level" -- "$cur"))
  elif [[ $operand == file ]]; then
    _payrecon_files
  elif [[ $operand == commands ]]; then
    COMPREPLY=($(compgen -W "migrate import run backfill report config discrepancies check show pending prune help version completion" -- "$cur"))
  fi
}
complete -F _payrecon payrecon
