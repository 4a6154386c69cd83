#!/usr/bin/env bash
# The test command: installs and builds what is missing, then runs every
# test with ctest, twice:
#   1. build/ (or $LESDE_BUILD): unit, end-to-end (under mpirun), Slurm and
#      portability tests (label portability: a build with MPICH, in
#      build/portability/, runs the smoke sweep into the same store as Open
#      MPI's); the valgrind test runs build-valgrind/lesde, a build without
#      -march=native (valgrind lacks AVX-512) and with HDF5 shared; fuzz.smoke builds the
#      libFuzzer targets with clang (build/fuzz/) and runs each for 5 s.
#      The Slurm tests and the idle ones (idle.lock_lost: a sweep stopped
#      past the lock's refresh interval), which mostly wait, run beside
#      the rest of pass 1 (their output after pass 2).
#   2. build-asan/ (or $LESDE_ASAN_BUILD; built beside pass 1, with the
#      CNN kernel paths this machine runs: pass 1 runs every one it can,
#      and the plain build compiles all three): unit and end-to-end tests
#      under AddressSanitizer + UBSan; any finding aborts the test. Left out:
#      e2e.sweep_resume (five kill -9 rounds and three signal rounds of
#      15,000-step sweeps, timed against an uninterrupted run: minutes
#      under ASan, and it tests timing, not memory), e2e.experiments (the
#      science on 20 training runs of 10,000 steps: 7 minutes under ASan,
#      with the same bytes as in pass 1; its train, fit, sde and report
#      paths run under ASan in e2e.report and e2e.sweep_determinism),
#      e2e.valgrind (valgrind cannot run an ASan binary),
#      unit.test_train_learns (seven training runs of 5,000-10,000 steps
#      judged by their accuracy: 5.5 minutes under ASan, the pass's longest
#      test; unit.test_train and the end-to-end tests run the same code on
#      short runs there), the Slurm tests and the portability test (a
#      build of its own, no sanitizer in it) (ctest -L 'unit|e2e').
# Usage: tests/run.sh [ctest arguments, e.g. -R spec]: they go to both
# ctest runs. LESDE_SANITIZE=0 skips 2.
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."
root=$PWD
jobs/setup.sh --test
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# (and with HDF5's shared libraries, so that link is built and run too)
cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Release -DLESDE_NATIVE=OFF \
      -DLESDE_HDF5_STATIC=OFF >/dev/null
cmake --build build-valgrind --target lesde -j "$(nproc)" >/dev/null
export LESDE_VALGRIND_BIN=$root/build-valgrind/lesde
status=0
build=${LESDE_BUILD:-build}
if [ "${LESDE_SANITIZE:-1}" = 0 ]; then
  (cd "$build" && ctest --output-on-failure --timeout 1500 "$@") || status=1
else
  # Pass 1's other tests keep about one core of the two busy (673 s of CPU
  # in 630 s); beside them run the Slurm tests, which mostly wait on the
  # cluster (~10 minutes), idle.lock_lost on a stopped sweep (~2 minutes),
  # their output printed after pass 2, and the ASan build, at the lowest
  # priority, its log in build/asan-build.log. Beside pass 2, which keeps
  # both cores busy, the Slurm tests made it take half as long again.
  slurm_log=$(cd "$build" && pwd)/slurm-tests.log
  (cd "$build" && ctest --output-on-failure --timeout 1500 -L 'slurm|idle' "$@") >"$slurm_log" 2>&1 &
  slurm_pid=$!
  asan=${LESDE_ASAN_BUILD:-build-asan}
  asan_log=$(cd "$build" && pwd)/asan-build.log
  LESDE_BUILD=$asan nice -n 19 jobs/setup.sh --test --sanitize >"$asan_log" 2>&1 &
  asan_pid=$!
  (cd "$build" && ctest --output-on-failure --timeout 1500 -LE 'slurm|idle' "$@") || status=1
  # (a failed build still waits for the Slurm tests: none is left running)
  if wait "$asan_pid"; then tail -n 1 "$asan_log"; else cat "$asan_log"; asan=; fi
  # Every finding is fatal. Leaks inside Open MPI's own start-up are
  # suppressed (tests/lsan.supp), recognised by the module that called
  # malloc. ASan's fast unwinder finds that frame (the MPI libraries have no
  # frame pointers, so it stops about there); the full unwinder, on each of
  # HDF5's and GSL's many small allocations, made the pass take 872 s, not
  # 498 s (docs/errors.md). tests/keep_modules.c (preloaded; ASan then lets
  # another library come before its own) keeps the MPI components loaded
  # to the end, so that those frames name their module.
  # intercept_tls_get_addr=0: GCC 12's LeakSanitizer then does not track
  # the dynamic TLS of libraries Open MPI loads, whose stale record crashed
  # its leak scan ("Tracer caught signal 11") on some runs when they were
  # unloaded; those blocks stay reachable through glibc's own tables. Two
  # tests at a time.
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=1:intercept_tls_get_addr=0:verify_asan_link_order=0
  export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
  export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
  if [ -z "$asan" ]; then
    status=1
  elif ! cc -shared -fPIC -O2 -o "$asan/keep_modules.so" tests/keep_modules.c; then
    status=1
  else
    export LD_PRELOAD=$(cd "$asan" && pwd)/keep_modules.so
    (cd "$asan" && ctest -j 2 -L 'unit|e2e' -E '^(e2e\.(sweep_resume|experiments|valgrind)|unit\.test_train_learns)$' \
       --output-on-failure --timeout 1500 "$@") || status=1
  fi
  wait "$slurm_pid" || status=1
  echo "---- the Slurm and idle tests of $build (run beside pass 1; $slurm_log)"
  cat "$slurm_log"
fi
exit $status
