#!/usr/bin/env bash
# Another MPI: lesde built with Debian's MPICH and its parallel HDF5
# (libhdf5-mpich-dev) in a build folder of its own runs the smoke sweep under
# mpiexec.mpich -n 2 into a store equal to the Open MPI one (timing aside).
# And configure picks what it should: an MPI named alone brings its own
# HDF5; the default stays Debian's Open MPI even when the mpicc and h5pcc on
# PATH are MPICH's (as after `update-alternatives --set mpi mpicc.mpich`);
# an HDF5 of another MPI, or a serial one, fails with a clear message.
source "$(dirname "$0")/../e2e/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
BUILDS=${LESDE_BUILD_DIR:-$ROOT/build}/portability   # kept: the next run builds incrementally
MPICH_BUILD=$BUILDS/mpich

for tool in mpicc.mpich mpiexec.mpich h5pcc.mpich mpicc.openmpi h5pcc.openmpi cmake; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "mpich: SKIP: $tool not found; install with:" >&2
    echo "  apt-get install mpich libmpich-dev libhdf5-mpich-dev libhdf5-openmpi-dev" >&2
    exit 77
  fi
done

# configure_in DIR [VAR=VALUE...] [CMAKE ARGS...]: a fresh configure into
# $TMP/DIR with that environment (its output in $TMP/DIR.log)
configure_in() {
  local dir=$TMP/$1 envs=()
  shift
  while [ $# -gt 0 ] && [[ $1 != -* && $1 == *=* ]]; do envs+=("$1"); shift; done
  env "${envs[@]}" cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.log" 2>&1
}
refused() { ! configure_in "$@"; }
cache() { sed -n "s/^$2:[A-Z]*=//p" "$TMP/$1/CMakeCache.txt"; }

# 1. The default, with MPICH's mpicc and h5pcc first on PATH.
mkdir -p "$TMP/alt"
ln -s /usr/bin/mpicc.mpich "$TMP/alt/mpicc"
ln -s /usr/bin/h5pcc.mpich "$TMP/alt/h5pcc"
check "default configure, MPICH first on PATH" configure_in default PATH="$TMP/alt:$PATH"
check "default: Debian's Open MPI" test "$(cache default MPI_C_COMPILER)" = /usr/bin/mpicc.openmpi
check "default: its HDF5" test "$(cache default HDF5_C_COMPILER_EXECUTABLE)" = /usr/bin/h5pcc.openmpi
check "default: its launcher" test "$(cache default MPIEXEC_EXECUTABLE)" = /usr/bin/mpiexec.openmpi
check "default: says so" grep -q "HDF5 .* uses the MPI found: libmpi.so.40" "$TMP/default.log"
check "the tested binary is Open MPI's" sh -c "ldd '$LESDE' | grep -q 'libmpi.so.40' && ! ldd '$LESDE' | grep -q libmpich"

# 2. An HDF5 of another MPI than the one named: refused at configure time.
check "MPICH with Open MPI's HDF5 refused" refused mixed \
  -DMPI_C_COMPILER=/usr/bin/mpicc.mpich -DHDF5_C_COMPILER_EXECUTABLE=/usr/bin/h5pcc.openmpi
check "mixed: the message" grep -q "is built with another" "$TMP/mixed.log"
check "mixed: names both libraries" sh -c "tr -s ' \n' ' ' <'$TMP/mixed.log' | grep -q 'needs libmpi.so.40, but MPI_C_COMPILER=/usr/bin/mpicc.mpich links libmpich.so.12'"
check "Open MPI with MPICH's HDF5 (HDF5_ROOT) refused" refused mixed2 \
  HDF5_ROOT=/usr/lib/x86_64-linux-gnu/hdf5/mpich
check "mixed2: the message" sh -c "tr -s ' \n' ' ' <'$TMP/mixed2.log' | grep -q 'needs libmpich.so.12, but MPI_C_COMPILER=/usr/bin/mpicc.openmpi links libmpi.so.40'"

# 3. A serial HDF5 (libhdf5-dev's h5cc): refused at configure time.
if [ -x /usr/bin/h5cc ]; then
  check "serial HDF5 refused" refused serial -DHDF5_C_COMPILER_EXECUTABLE=/usr/bin/h5cc
  check "serial: the message" sh -c "tr -s ' \n' ' ' <'$TMP/serial.log' | grep -q 'lesde needs a parallel HDF5 (built with MPI), but the HDF5 found (/usr/bin/h5cc, version [0-9.]*) is serial'"
else
  echo "NOTE: no serial HDF5 (apt-get install libhdf5-dev): its refusal is not tested" >&2
fi

# 4. The MPICH build: only the MPI is named, its HDF5 follows.
start=$SECONDS
if cmake -S "$ROOT" -B "$MPICH_BUILD" -DCMAKE_BUILD_TYPE=Release \
     -DMPI_C_COMPILER=/usr/bin/mpicc.mpich >"$TMP/mpich.log" 2>&1 &&
   cmake --build "$MPICH_BUILD" --target lesde -j 2 >>"$TMP/mpich.log" 2>&1; then ok; else
  bad "MPICH build failed:"; tail -30 "$TMP/mpich.log" >&2; finish; exit 1
fi
echo "MPICH build: $((SECONDS - start)) s" >&2
M=$MPICH_BUILD/lesde
check "MPICH build: HDF5 of MPICH" grep -q "/usr/bin/h5pcc.mpich) uses the MPI found: libmpich.so.12" "$TMP/mpich.log"
check "MPICH build: links MPICH only" sh -c "ldd '$M' | grep -q libmpich.so.12 && ! ldd '$M' | grep -q 'libmpi.so.40' && ! ldd '$M' | grep -q libhdf5_openmpi"
# MPICH's HDF5: its static libraries where they are there (LESDE_HDF5_STATIC)
check "MPICH build: MPICH's HDF5" sh -c "ldd '$M' | grep -q libhdf5_mpich || grep -q 'hdf5/mpich/libhdf5.a' '$MPICH_BUILD/CMakeFiles/lesde.dir/link.txt'"
expect_exit 0 "MPICH build: -V" "$M" -V
check "MPICH build: -V names MPICH" grep -q "^MPI: MPICH" "$TMP/out"
# Its launcher: FindMPI alone finds /usr/bin/mpiexec beside mpicc.mpich,
# the alternatives link that stays Open MPI's; a launcher of another MPI
# than the library's is refused.
check "MPICH build: its launcher" test "$(sed -n 's/^MPIEXEC_EXECUTABLE:[A-Z]*=//p' "$MPICH_BUILD/CMakeCache.txt")" = /usr/bin/mpiexec.mpich
check "MPICH with Open MPI's launcher refused" refused launcher \
  -DMPI_C_COMPILER=/usr/bin/mpicc.mpich -DMPIEXEC_EXECUTABLE=/usr/bin/mpiexec.openmpi
check "launcher: the message" sh -c "tr -s ' \n' ' ' <'$TMP/launcher.log' | grep -q 'MPIEXEC_EXECUTABLE=/usr/bin/mpiexec.openmpi, is Open MPI.s, but MPI_C_COMPILER=/usr/bin/mpicc.mpich links libmpich.so.12'"

# 5. The smoke sweep under both, on 2 ranks each: equal stores.
expect_exit 0 "smoke sweep, Open MPI, 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$TMP/ompi.h5" --quiet
expect_exit 0 "smoke sweep, MPICH, 2 ranks" mpiexec.mpich -n 2 "$M" sweep "$SPEC" --store "$TMP/mpich.h5" --quiet
check "MPICH store complete" sh -c "'$LESDE' status '$TMP/mpich.h5' | grep -q 'total: 20 done, 0 failed, 0 pending'"
check "MPICH store equals the Open MPI one" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ompi.h5" "$TMP/mpich.h5"
check "each store names its MPI" /usr/bin/python3 -c "
import h5py, sys
a = h5py.File('$TMP/ompi.h5', 'r').attrs['mpi_version']; b = h5py.File('$TMP/mpich.h5', 'r').attrs['mpi_version']
a, b = [x.decode() if isinstance(x, bytes) else str(x) for x in (a, b)]
sys.exit(0 if a.startswith('Open MPI') and b.startswith('MPICH') else 1)"
# and one store, two MPIs: a sweep resumed by the other MPI's build
expect_exit 0 "MPICH resumes an Open MPI store" mpiexec.mpich -n 2 "$M" sweep "$SPEC" --store "$TMP/ompi.h5" --quiet

# 6. jobs/mpirun runs the MPICH build under its own launcher (LESDE_BUILD),
# and Ctrl-C stops it cleanly: the ranks get the terminal's SIGINT and stop
# as on SIGUSR1, and Hydra's mpiexec waits for them (a second one kills the
# job). (LESDE_MPIEXEC, the tests' Open MPI launcher, is set aside.)
expect_exit 0 "jobs/mpirun, MPICH build: smoke sweep" env -u LESDE_MPIEXEC LESDE_BUILD="$MPICH_BUILD" \
  "$ROOT/jobs/mpirun" -n 2 "$M" sweep "$SPEC" --store "$TMP/wrap.h5" --quiet
check "jobs/mpirun, MPICH build: store complete" sh -c "'$LESDE' status '$TMP/wrap.h5' | grep -q 'total: 20 done, 0 failed, 0 pending'"
check "jobs/mpirun, MPICH build: one sweep of 2 ranks" /usr/bin/python3 -c "
import h5py, sys
r = h5py.File('$TMP/wrap.h5', 'r')['study/train/rank'][()]
sys.exit(0 if sorted(set(r.ravel().tolist())) == [0, 1] else 1)"
LESDE_MPIEXEC= LESDE_BUILD="$MPICH_BUILD" ctrl_c_group "$ROOT/jobs/mpirun" -n 2 "$M" sweep "$SPEC" \
  --set study.train.iters=400000 --store "$TMP/c.h5" --grace 0 --quiet >/dev/null 2>"$TMP/c.err"
ctrl_c "MPICH, Ctrl-C on jobs/mpirun" $! "$TMP/c.h5" "$TMP/c.err"
# Hydra 4.0 loses the ranks' exit codes at times (both ranks exit 3, mpiexec
# says 0: pmodels/mpich#7057, 4 of 16 tries here): the store tells.
check "MPICH, Ctrl-C on jobs/mpirun: exit 3, or Hydra's lost 0 (got $RC)" test "$RC" -eq 3 -o "$RC" -eq 0
check "MPICH, Ctrl-C: the tasks stay pending" sh -c "'$LESDE' status '$TMP/c.h5' | grep -q 'total: 0 done, 0 failed, 20 pending'"

# 7. The one-process commands see MPICH's ranks too.
expect_exit 2 "MPICH: train on 2 ranks refused" mpiexec.mpich -n 2 "$M" train --quiet --iters 50 \
  --checkpoints 6 --snapshots 1 --out "$TMP/t.h5"
check "one line" test "$(grep -c '^lesde: ' "$TMP/err")" -eq 1
check "no file" sh -c "! ls '$TMP'/t.h5* 2>/dev/null"
finish
