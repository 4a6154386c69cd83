#!/usr/bin/env bash
# A crashed cluster does not hold up the next one. With an srun allocation
# running, the whole cluster dies at once (SIGKILL to slurmctld, to the
# node's slurmd and the job's processes, and to the srun client), as a
# crash or an interrupted test run leaves it. The next
# `local-cluster.sh start` must come up without that job (slurmctld -c):
# recovered from the saved state, an allocation whose srun is gone holds
# its node forever, and every later job waits for it.
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
if [ "$STARTED_CLUSTER" -ne 1 ]; then
  echo "stale_state: SKIP: it crashes the cluster it runs on; stop the running one first ($CLUSTER stop)" >&2
  exit 77
fi
DIR=$LESDE_SLURM_DIR
NODE=$("$CLUSTER" nodes | head -1)

srun -N 1 --exclusive -J stale sleep 600 >/dev/null 2>&1 &
client=$!
job=""
for _ in $(seq 1 240); do
  job=$(squeue -h -n stale -o %i 2>/dev/null | head -1)
  [ -n "$job" ] && [ "$(job_field "$job" JobState)" = RUNNING ] && break
  sleep 0.25
done
check "the allocation runs (job ${job:-none})" test "$(job_field "$job" JobState)" = RUNNING
# slurmctld saves its state a little after a change: wait for a save that
# has the running job in it (the job state file newer than the job's start)
touch "$TMP/started"
for _ in $(seq 1 60); do
  [ "$DIR/state/job_state" -nt "$TMP/started" ] && break
  sleep 0.25
done
sleep 1
check "slurmctld saved its state with the job" test "$DIR/state/job_state" -nt "$TMP/started"

# The crash: the node with its job, the controller, the client.
daemons=("$(cat "$DIR/run/slurmctld.pid")" "$(cat "$DIR"/run/slurmd-*.pid)")
"$CLUSTER" kill-node "$NODE" >&2
kill -KILL "${daemons[0]}" "$client" 2>/dev/null
wait "$client" 2>/dev/null
for pid in "${daemons[@]}"; do # gone, so that start does not take them for running
  for _ in $(seq 1 100); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
done

check "the cluster starts again" "$CLUSTER" start --nodes 1 9>&-
left=$(squeue -h -o %i) || bad "squeue failed after the restart"
check "no job is left from before the crash (squeue: '${left//$'\n'/ }')" test -z "$left"
start=$SECONDS
check "an exclusive job runs at once" timeout 60 srun -N 1 --exclusive true
echo "the new job ran after $((SECONDS - start)) s" >&2

finish
