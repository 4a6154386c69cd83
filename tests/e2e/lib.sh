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
    bad "$what: exit $rc, expected $code; stderr: $(head -c 400 "$TMP/err")"; fi
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
finish() {
  echo "$(basename "$0" .sh): $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
