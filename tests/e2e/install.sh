#!/usr/bin/env bash
# cmake --install into a temporary prefix: the binary, the man page lesde(1)
# made from the binary's --help texts (every command's), the specs, docs and
# Slurm scripts under share/lesde/; and the installed lesde, run from another
# directory, finds its specs there (the quickstart dry run) and trains.
source "$(dirname "$0")/lib.sh"
BUILD=${LESDE_BUILD_DIR:-$ROOT/build}
P=$TMP/prefix
expect_exit 0 "cmake --install --prefix" cmake --install "$BUILD" --prefix "$P"
L=$P/bin/lesde
check "the binary" test -x "$L"
check "the man page" test -s "$P/share/man/man1/lesde.1"
check "the specs" test -s "$P/share/lesde/sweep/quickstart.ini"
check "every spec of sweep/, and the smoke sweep" \
  test "$(ls "$P/share/lesde/sweep" | wc -l)" -eq "$(($(ls "$ROOT"/sweep/*.ini | wc -l) + 1))"
check "the docs" sh -c "test -s '$P/share/lesde/docs/README.md' && test -s '$P/share/lesde/docs/errors.md'"
check "the Slurm scripts" test -x "$P/share/lesde/slurm/submit.sh"

# The man page: valid roff, and every line of every command's --help in it.
if command -v groff >/dev/null && command -v man >/dev/null; then
  check "groff: no warnings" sh -c "groff -man -ww -z '$P/share/man/man1/lesde.1' 2>'$TMP/groff.err' && ! test -s '$TMP/groff.err'"
  MANWIDTH=200 man -l "$P/share/man/man1/lesde.1" 2>/dev/null | sed 's/^ *//' >"$TMP/man.txt"
  for cmd in "" train data sweep status summarize fit simulate report bench; do
    # shellcheck disable=SC2086 # "" is the top-level help
    "$L" $cmd --help | sed 's/^ *//; /^$/d; /^Usage:/d' >"$TMP/help.txt"
    missing=$(grep -vxF -f "$TMP/man.txt" "$TMP/help.txt" | head -3)
    check "man page holds 'lesde ${cmd:+$cmd }--help' (missing: $missing)" test -z "$missing"
  done
  check "man: a section per command" test "$(grep -c '^\.SS lesde ' "$P/share/man/man1/lesde.1")" -eq 9
else
  echo "NOTE: no groff/man: the man page is not rendered" >&2
fi

# From another directory, no spec file there: found under share/lesde/sweep.
mkdir "$TMP/elsewhere"
cd "$TMP/elsewhere" || exit 1
expect_exit 0 "installed: sweep quickstart --dry-run" "$L" sweep quickstart --dry-run
check "dry run: the quickstart's 80 tasks" grep -q "^sweep 'quickstart' .*: 80 tasks" "$TMP/out"
expect_exit 0 "installed: sweep quickstart.ini --dry-run" "$L" sweep quickstart.ini --dry-run
check "the same spec" grep -q "^sweep 'quickstart' .*: 80 tasks" "$TMP/out"
printf '[sweep]\nname = mine\nseeds = 0\n[study.a]\nkind = sde\nclasses = 3\nn = 10\nT = 100\nn_obs = 3\n' >quickstart.ini
expect_exit 0 "a quickstart.ini here comes first" "$L" sweep quickstart.ini --dry-run
check "this directory's spec" grep -q "^sweep 'mine' " "$TMP/out"
rm quickstart.ini
mkdir quickstart  # a directory here (a report's --out) is no spec: looked up
expect_exit 0 "a directory quickstart here: the installed spec" "$L" sweep quickstart --dry-run
check "the installed spec, not the directory" grep -q "^sweep 'quickstart' .*: 80 tasks" "$TMP/out"
expect_exit 0 "submit.sh: a directory quickstart here" env -u LESDE "$P/share/lesde/slurm/submit.sh" \
  quickstart --dry-run
check "submit.sh: the installed spec, not the directory" \
  grep -q "SPEC=$P/share/lesde/sweep/quickstart.ini " "$TMP/out"
rmdir quickstart
mkfifo quickstart  # nor is a FIFO, whose read would block for good
expect_exit 0 "a FIFO quickstart here: the installed spec" timeout 60 "$L" sweep quickstart --dry-run
expect_exit 0 "submit.sh: a FIFO quickstart here" timeout 60 env -u LESDE "$P/share/lesde/slurm/submit.sh" \
  quickstart --dry-run
rm quickstart
expect_exit 0 "installed: sweep smoke --dry-run (the docs' trial sweep)" "$L" sweep smoke --dry-run
check "the smoke sweep's 20 tasks" grep -q "^sweep 'smoke' .*: 20 tasks" "$TMP/out"
expect_exit 1 "installed: an unknown spec" "$L" sweep nope --dry-run
check "says where it looked" grep -q "lesde: nope: cannot read the spec: no such file here nor in $P/share/lesde/sweep" "$TMP/err"
check "help says where it looks" sh -c "'$L' sweep --help | grep -q 'PREFIX/share/lesde/sweep'"
expect_exit 0 "installed: a short train" "$L" train --quiet --iters 300 --train-per-class 40 \
  --val-per-class 20 --checkpoints 11 --probe-per-class 10 --out run.h5
check "train wrote its file here" sh -c "'$L' status run.h5 | grep -q 'total: 1 done'"
# submit.sh installed beside the specs finds them and the installed binary
expect_exit 0 "installed submit.sh --dry-run" env -u LESDE "$P/share/lesde/slurm/submit.sh" quickstart --dry-run
check "submit.sh: the installed spec and binary" \
  grep -q "SPEC=$P/share/lesde/sweep/quickstart.ini .*LESDE=$P/bin/lesde " "$TMP/out"
# ... before another lesde on PATH (a checkout's, an older install), whose
# specs are not the ones beside the script
mkdir -p "$TMP/otherbin" && printf '#!/bin/sh\nexit 0\n' >"$TMP/otherbin/lesde" && chmod +x "$TMP/otherbin/lesde"
expect_exit 0 "installed submit.sh, another lesde on PATH" env -u LESDE PATH="$TMP/otherbin:$PATH" \
  "$P/share/lesde/slurm/submit.sh" quickstart --dry-run
check "submit.sh: its own binary, not PATH's" grep -q "LESDE=$P/bin/lesde " "$TMP/out"
# --grace in whole seconds, leading zeros too (090 is 90, not bad octal)
expect_exit 0 "submit.sh --grace 090" env -u LESDE "$P/share/lesde/slurm/submit.sh" quickstart \
  --grace 090 --dry-run
check "submit.sh --grace 090: warned 150 s before, grace 90" \
  sh -c "grep -q 'GRACE=90 ' '$TMP/out' && grep -q -- '--signal=B:USR1@150 ' '$TMP/out'"
cd "$ROOT" || exit 1
finish
