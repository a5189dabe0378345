# Drives a shell's real line editor through a pseudo-terminal (zsh's zpty module) to complete
# command lines: for each LINE it types LINE and TAB, then a key bound to a function that appends
# the edited line, as completion left it, to OUT and clears it; waits for that function's marker.
# usage: zsh -f complete-in-pty.zsh bash|zsh SCRIPT OUT LINE...
# The shell starts as a user's would: interactive, no rc files, then sources SCRIPT
# ('dtr-backup completion SHELL'); nothing else sets completion up.
shell=$1 script=$2 out=$3
shift 3
zmodload zsh/zpty || { print -u2 "zsh has no zpty module"; exit 3 }
case $shell in
  bash)
    zpty -b sh 'bash --norc --noprofile -i'
    zpty -w sh "PS1='> '; source ${(q)script}; dump() { printf '%s\n' \"\$READLINE_LINE\" >> ${(q)out}; READLINE_LINE=''; echo DONE-\$((40+2)); }; bind -x '\"\\C-x\": dump'"
    ;;
  zsh)
    zpty -b sh 'zsh -f -i'
    zpty -w sh "PS1='> '; source ${(q)script}; dump() { print -r -- \"\$BUFFER\" >> ${(q)out}; BUFFER='print DONE-\$((40+2))'; zle accept-line }; zle -N dump; bindkey '^X' dump"
    ;;
  *) print -u2 "unknown shell $shell"; exit 2 ;;
esac
for line in "$@"; do
  zpty -w -n sh "$line"$'\t\C-x'
  # The marker is printed only by the dump function (the typed text says DONE-$((40+2))).
  zpty -r sh junk '*DONE-42*' || { print -u2 "no answer from $shell after: $line"; exit 4 }
done
zpty -d sh
