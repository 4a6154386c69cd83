#!/bin/sh
# man.sh LESDE OUT: writes the man page lesde(1) to OUT from the built
# binary's own help texts (`lesde --help` and `lesde CMD --help` for every
# command that lists), so the page says what --help says, never a second
# copy. Run by the build (CMakeLists.txt); POSIX sh and sed only.
set -eu
lesde=$1
out=$2

# roff_text: help text on stdin as no-fill roff: backslashes and dashes
# escaped, lines that roff would take for requests (. or ') protected.
roff_text() {
  echo '.nf'
  sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
  echo '.fi'
}

top=$("$lesde" --help)
version=$("$lesde" --version | sed -n '1s/^lesde //p')
summary=$(printf '%s\n' "$top" | sed -n '/^[A-Z][a-z].*[.:]$/{p;q;}' | sed 's/[.:]$//')
# the command names: the lines under "Commands:" up to the first blank one
cmds=$(printf '%s\n' "$top" | sed -n '/^Commands:/,/^$/{/^  [a-z]/s/^  \([a-z]*\).*/\1/p;}')
[ -n "$cmds" ] || { echo "man.sh: no commands in '$lesde --help'" >&2; exit 1; }

{
  echo ".TH LESDE 1 \"\" \"lesde $version\" \"User Commands\""
  echo '.SH NAME'
  printf 'lesde \\- %s\n' "$(printf '%s' "$summary" | sed 's/-/\\-/g')"
  echo '.SH SYNOPSIS'
  printf '%s\n' "$top" | sed -n '/^Usage:/,/^$/p' | sed 's/^Usage: *//; s/^ *//; /^$/d' | roff_text
  echo '.SH DESCRIPTION'
  printf '%s\n' "$top" | sed '/^Usage:/,/^$/d' | roff_text
  echo '.SH COMMANDS'
  printf '%s\n' "Each command's own help, as \\fBlesde\\fP \\fICOMMAND\\fP \\fB\\-\\-help\\fP prints it."
  for c in $cmds; do
    echo ".SS lesde $c"
    "$lesde" "$c" --help | roff_text
  done
  echo '.SH FILES'
  echo '.TP'
  echo '.I PREFIX/share/lesde/sweep/'
  printf '%s\n' 'the sweep specs (\fBlesde sweep quickstart\fP finds quickstart.ini there)'
  echo '.TP'
  echo '.I PREFIX/share/lesde/docs/'
  echo 'the documentation: README.md, spec.md (every spec key), cluster.md,'
  printf '%s\n' 'errors.md (every error line), le\-sde.md (the science), claims.md (each claim of the slides, measured), plateau.md (the initial plateau, measured), design.md'
  echo '.TP'
  echo '.I PREFIX/share/lesde/slurm/'
  echo 'Slurm batch scripts and submit.sh'
} >"$out.tmp"
mv "$out.tmp" "$out"
