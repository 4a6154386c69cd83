#!/usr/bin/env bash
# valgrind memcheck, no error and no leak: a small lesde train, then
# status on the file it wrote, fit on a CSV and a small simulate.
# The binary must not use instructions valgrind lacks (AVX-512 under
# -march=native): tests/run.sh builds one with -DLESDE_NATIVE=OFF into
# build-valgrind/ and names it in $LESDE_VALGRIND_BIN. Skipped (77) without
# valgrind, or with a binary valgrind cannot run (an ASan build, a native
# one).
source "$(dirname "$0")/lib.sh"
BIN=${LESDE_VALGRIND_BIN:-$LESDE}
command -v valgrind >/dev/null || { echo "valgrind: not installed, skipped"; exit 77; }
if [[ "$(ldd "$BIN" 2>/dev/null)" == *libasan* ]]; then
  echo "valgrind: $BIN is an ASan build, skipped"; exit 77
fi
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible)
# The native build ($LESDE) on a CPU without its instruction sets (valgrind
# has no AVX-512): it runs, or says what it lacks and exits 1 (src/cli/cpu.c),
# never dies of SIGILL (132) on its first AVX-512 instruction.
bash -c '"$@" >/dev/null 2>"$0"; echo $? >"$0.rc"' "$TMP/native.err" valgrind -q "$LESDE" \
  simulate --classes 2 --n 2 --n-obs 1 --reps 1 --T 2
native=$(cat "$TMP/native.err.rc")
if [ "$native" = 0 ]; then ok; else
  check "native build under valgrind: exit 1, not $native" test "$native" = 1
  check "native build under valgrind: says what the CPU lacks" \
    grep -q "^lesde: this binary was built for a CPU with .*-DLESDE_NATIVE=OFF" "$TMP/native.err"
fi
# A short real run as a probe: --version alone uses no vector code.
probe=$(bash -c '"$@" >/dev/null 2>"$0"; echo $?' "$TMP/err" "${VG[@]}" "$BIN" \
  simulate --classes 2 --n 2 --n-obs 1 --reps 1 --T 2 2>/dev/null)
if [ "$probe" = 132 ] || grep -q "Illegal opcode\|unhandled instruction\|built for a CPU with" "$TMP/err"; then
  echo "valgrind: $BIN uses instructions valgrind cannot run (built with -march=native?), skipped"
  exit 77
fi

vg() { # vg CODE DESCRIPTION ARGS...: lesde ARGS under valgrind exits CODE, no report
  local code=$1 what=$2; shift 2
  "${VG[@]}" "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -eq "$code" ] && ! grep -q "^==[0-9]*==" "$TMP/err"; then ok; else
    bad "$what: exit $rc (expected $code): $(grep -m5 "^==" "$TMP/err" | tr '\n' ' ')"; fi
}
vg 0 "train" train --quiet --iters 20 --train-per-class 5 --val-per-class 5 --checkpoints 3 \
  --probe-per-class 2 --snapshots 1 --out "$TMP/run.h5"
vg 0 "status of the train file" status "$TMP/run.h5"
printf 't,class,x0,x1\n0,0,1,0\n0,1,0,1\n1,0,2,0\n1,1,0,2\n2,0,3,0\n2,1,0,3\n3,0,4,0\n3,1,0,4\n' >"$TMP/m.csv"
vg 0 "fit a CSV" fit "$TMP/m.csv" --out "$TMP/fit.h5"
vg 0 "simulate" simulate --classes 2 --n 3 --n-obs 2 --reps 2 --T 10 --out "$TMP/sim.h5"
# Bad input takes the error paths: still no memory error, no leak.
printf 't,class,x0\n0,0,1\n0,0,2\n' >"$TMP/bad.csv"
vg 2 "bad CSV refused" fit "$TMP/bad.csv" --out "$TMP/none.h5"
vg 2 "not a store" status "$TMP/m.csv"
vg 2 "bad option" train --iters 0 --out "$TMP/none.h5"
finish
