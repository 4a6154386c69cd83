# Shared helpers of the end-to-end tests (sourced, not run).
set -uo pipefail
LESDE=${LESDE_BIN:-$(pwd)/build/lesde}
ROOT=$(pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# Open MPI: more ranks than cores, and no spinning while a rank waits.
# LESDE_MPIEXEC: the build's own launcher (mpiexec.openmpi on Debian),
# whatever mpirun the alternatives name.
MPIRUN=("${LESDE_MPIEXEC:-mpirun}" --oversubscribe --mca mpi_yield_when_idle 1 --bind-to none)
TMP=$(mktemp -d /tmp/lesde-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then ok; else bad "$what"; fi
}
# expect_exit CODE DESCRIPTION COMMAND...: runs it, stderr to $TMP/err
expect_exit() {
  local code=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -eq "$code" ]; then ok; else
    bad "$what: exit $rc, expected $code; stderr: $(err_ends "$TMP/err")"; fi
}
# err_ends FILE: its first 400 bytes and, when longer, its last 1,200: a
# sanitizer's or a library's report comes last, after the normal output.
err_ends() {
  local n
  n=$(wc -c <"$1")
  if [ "$n" -le 1600 ]; then cat "$1"; else
    head -c 400 "$1"; printf '\n[... %d bytes ...]\n' $((n - 1600)); tail -c 1200 "$1"; fi
}
# finished_at STORE: "study task finished_at rank" of every done task, so
# that a task computed again (a new time, another rank) shows in a diff.
finished_at() { /usr/bin/python3 - "$1" <<'PY'
import h5py, numpy as np, sys
f = h5py.File(sys.argv[1], "r")
for s in sorted(f["study"]):
    st = np.asarray(f["study"][s]["status"]).ravel()
    fin = np.asarray(f["study"][s]["finished_at"]).ravel()
    rank = np.asarray(f["study"][s]["rank"]).ravel()
    for i in np.nonzero(st == 1)[0]:
        print(s, i, repr(fin[i]), rank[i])
PY
}
kill_tree() { # SIGKILL a process and all its descendants at once
  local pids=$1 frontier=$1
  while [ -n "$frontier" ]; do
    frontier=$(for p in $frontier; do pgrep -P "$p"; done)
    pids="$pids $frontier"
  done
  kill -9 $pids 2>/dev/null
}
wait_for() { # wait_for SECONDS COMMAND...: until it succeeds
  local n=$(($1 * 10)); shift
  for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}
# ctrl_c_group COMMAND...: COMMAND in the background in a process group of
# its own, with SIGINT at its default (a background job of a script ignores
# it), standing in for a terminal's foreground job; $! is the group.
ctrl_c_group() {
  /usr/bin/python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setpgid(0, 0)
os.execvp(sys.argv[1], sys.argv[1:])' "$@" &
}
# ctrl_c WHAT GROUP STORE ERRFILE: once the sweep of process group GROUP
# holds STORE's lock and the store reads, a Ctrl-C (SIGINT to the group);
# checks that the lock goes and the sweep says how to resume; RC is its
# exit code.
ctrl_c() {
  check "$1: the sweep takes the lock" wait_for 60 test -s "$3.lock"
  check "$1: the store is made" wait_for 60 sh -c "'$LESDE' status '$3' >/dev/null 2>&1"
  kill -INT -- "-$2"
  wait "$2"
  RC=$?
  check "$1: the lock is removed" test ! -e "$3.lock"
  check "$1: says how to resume" grep -q "run the same command again to resume" "$4"
}
finish() {
  echo "$(basename "$0" .sh): $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
