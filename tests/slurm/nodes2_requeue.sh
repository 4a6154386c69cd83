#!/usr/bin/env bash
# Time limit on two nodes: a job of one rank on each of n1 and n2 gets the
# warning (USR1 to its batch shell on n1), lesde on both nodes stops, the job
# requeues itself and its next run resumes the store: complete, equal to the
# uninterrupted run, no finished task computed again (tests/slurm/common.bash).
# Then the same under the mpirun fallback, the job asking for nodes alone.
SLURM_NODES=2
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
longer_reference
usr1_requeue "$TMP/s.h5" --nodes 2 --ntasks-per-node 1
check "the job ran on two nodes" grep -q "2 ranks on 2 node(s)" "$TMP"/results/smoke/slurm-*.out
# The mpirun fallback (a Slurm without srun's pmix), with --nodes alone: no
# SLURM_NTASKS, and mpirun starts one rank a node, as srun would (it ran 1).
export LAUNCHER=mpirun
usr1_requeue "$TMP/m.h5" --nodes 2
unset LAUNCHER
check "mpirun ran a rank on each node" grep -q "running: mpirun -n 2 " "$TMP"/results/smoke/slurm-*.out
finish
