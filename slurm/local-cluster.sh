#!/usr/bin/env bash
# local-cluster.sh -- a Slurm cluster of one or more nodes on this machine, in
# a temporary directory, for the tests and for trying the Slurm path out on a
# laptop or a CI machine.
#
#   slurm/local-cluster.sh start [--nodes N]
#                                    generate the config, start munged,
#                                    slurmctld and one slurmd per node; wait
#                                    for the nodes
#   slurm/local-cluster.sh stop      cancel its jobs, stop the three daemons
#   slurm/local-cluster.sh status    sinfo (exit 3 when it is not running)
#   slurm/local-cluster.sh env       the environment its clients need:
#                                    eval "$(slurm/local-cluster.sh env)"
#
# Everything (slurm.conf, munge key and socket, state, spool, logs, pid
# files) lives in $LESDE_SLURM_DIR (default /tmp/lesde-slurm); nothing in
# /etc is touched and systemd is not used. Debian's slurm-wlm and munge must
# be installed:  apt-get install slurm-wlm munge
set -euo pipefail

DIR=${LESDE_SLURM_DIR:-/tmp/lesde-slurm}
PORT=${LESDE_SLURM_PORT:-6817}        # slurmctld; node k's slurmd listens on PORT+k
NODES=${LESDE_SLURM_NODES:-1}
NODES_ASKED=${LESDE_SLURM_NODES:+1}   # a count was asked for, not the default
CRED_EXPIRE=${LESDE_SLURM_CRED_EXPIRE:-5}  # also the wait before a requeued job restarts
CONF=$DIR/etc/slurm.conf
SOCKET=$DIR/munge/munge.socket.2

usage() {
  cat <<EOF
Usage: slurm/local-cluster.sh start|restart [--nodes N]
       slurm/local-cluster.sh stop|status|env|conf|logs|nodes

A Slurm cluster (munged + slurmctld + one slurmd per node, Debian's
slurm-wlm) on this machine, in \$LESDE_SLURM_DIR (now $DIR). One node is
named after this host and has its CPUs; with --nodes N > 1 the nodes are
n1..nN, each a slurmd of its own (slurmd -N nK) on 127.0.0.1 with this
host's CPUs, a port, spool, log, pid file and TmpFS of its own.

  start    generate slurm.conf and a munge key (first time), start the
           daemons, wait until every node takes jobs; says so if running
           (running with another count than --nodes asks: stop it first)
  stop     cancel this cluster's jobs, then end the daemons it started
           (by their pid files)
  restart  stop, then start
  status   print sinfo and squeue; exit 3 when the cluster is not running
  env      print the environment its clients need, for
             eval "\$(slurm/local-cluster.sh env)"
  conf     print the path of the generated slurm.conf
  logs     print the tails of the daemons' logs
  nodes    print the node names of the cluster (running, else configured)
  kill-node NODE
           crash a node: SIGKILL its slurmd and the job processes on it;
           slurmctld sets it DOWN after SlurmdTimeout (30 s; set
           LESDE_SLURMD_TIMEOUT before start); start brings it back

Environment: LESDE_SLURM_DIR (default /tmp/lesde-slurm), LESDE_SLURM_PORT
(slurmctld port, default 6817; node k's slurmd uses PORT+k),
LESDE_SLURM_NODES (default node count for start, 1),
LESDE_SLURM_CRED_EXPIRE (seconds a requeued job waits, default 5).
EOF
}

die() { echo "local-cluster.sh: $*" >&2; exit 1; }

need_tools() {
  local t missing=()
  for t in munged slurmctld slurmd sinfo squeue scontrol scancel; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die "not found: ${missing[*]}; install them with:
  DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge"
}

# pid_of NAME [FILE]: the pid in NAME's pid file (default run/NAME.pid) if
# that process is alive and is NAME
pid_of() {
  local name=$1 file=${2:-$DIR/run/$1.pid} pid
  [ -r "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  echo "$pid"
}
running() { pid_of "$1" >/dev/null; }
slurmd_pid() { pid_of slurmd "$DIR/run/slurmd-$1.pid"; }   # slurmd_pid NODE
# The nodes of the configured cluster (one per line), from its slurm.conf.
node_names() {
  [ -r "$CONF" ] || return 0
  sed -n 's/^NodeName=\([^ ]*\) .*/\1/p' "$CONF"
}
any_slurmd() {
  local f
  for f in "$DIR"/run/slurmd-*.pid; do
    [ -e "$f" ] && pid_of slurmd "$f" >/dev/null && return 0
  done
  return 1
}
all_running() {
  local n names
  running munged && running slurmctld || return 1
  names=$(node_names)
  [ -n "$names" ] || return 1
  for n in $names; do slurmd_pid "$n" >/dev/null || return 1; done
}

host_name() { hostname -s; }

# What slurmd -C detects (CPUs, sockets, cores, threads, memory), else the
# CPU count alone.
node_hw() {
  local detected
  detected=$(slurmd -C 2>/dev/null | sed -n 's/^NodeName=[^ ]* //p' | head -1)
  [ -n "$detected" ] || detected="CPUs=$(nproc)"
  echo "$detected"
}

# write_conf N: slurm.conf of a cluster of N nodes
write_conf() {
  local n=$1 host user hw k nodes
  host=$(host_name)
  user=$(id -un)
  hw=$(node_hw)
  mkdir -p "$DIR/etc"
  if [ "$n" -eq 1 ]; then nodes=$host; else nodes="n[1-$n]"; fi
  {
    cat <<EOF
# Generated by slurm/local-cluster.sh for a test cluster of $n node(s) in $DIR.
# Regenerated on every start while the cluster is stopped.
ClusterName=lesde
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET,cred_expire=$CRED_EXPIRE
StateSaveLocation=$DIR/state
# Every node (slurmd -N NAME) has its own spool, pid file, log and TmpFS:
# a shared TmpFS makes srun --mpi=pmix fail ("spmix_appdir ... File exists").
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
TmpFS=$DIR/tmp/%n
# The nodes' CPUs and memory are the configured ones, not what each slurmd
# detects (they all share this machine's).
SlurmdParameters=config_overrides
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/etc/plugstack.conf
MailProg=/bin/true
# No cgroups, no binding: processes are tracked by their parent pids.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# srun --mpi=pmix must be asked for (lesde.sbatch does); pmi2 does not work
# with Debian's Open MPI.
MpiDefault=none
# Jobs are requeueable, a requeued job restarts after cred_expire seconds.
JobRequeue=1
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
# Short timeouts: this is a test cluster on one machine. A node whose
# slurmd stops answering is DOWN after SlurmdTimeout, its jobs requeued.
KillWait=5
MinJobAge=600
InactiveLimit=0
MessageTimeout=10
SlurmctldTimeout=10
SlurmdTimeout=${LESDE_SLURMD_TIMEOUT:-30}
UnkillableStepTimeout=30
Waittime=0
EOF
    if [ "$n" -eq 1 ]; then
      echo "NodeName=$host NodeAddr=127.0.0.1 Port=$((PORT + 1)) $hw State=UNKNOWN"
    else
      for k in $(seq 1 "$n"); do
        echo "NodeName=n$k NodeAddr=127.0.0.1 NodeHostname=$host Port=$((PORT + k)) $hw State=UNKNOWN"
      done
    fi
    echo "PartitionName=debug Nodes=$nodes Default=YES MaxTime=INFINITE State=UP"
  } >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
  : >"$DIR/etc/plugstack.conf"
  # The nodes of this cluster are one host, so each multi-node step runs one
  # PMIx server per node of the same namespace side by side, which upstream
  # reports make the shared-memory job-data store (gds ds21/ds12) fragile
  # (openpmix#813; "Failing at address: (nil)" in MPI_Init). Twice in CI a
  # rank died so at its start (stops 56 and 58); the ranks here get their
  # job data from their server by message instead. Real nodes do not need it.
  echo "PMIxEnv=PMIX_MCA_gds=hash" >"$DIR/etc/mpi.conf"
  for k in $(node_names); do mkdir -p "$DIR/tmp/$k" "$DIR/spool/slurmd-$k"; done
}

start_munged() {
  if running munged; then return 0; fi
  local key=$DIR/munge/munge.key
  if [ ! -s "$key" ]; then
    dd if=/dev/urandom of="$key.tmp" bs=1024 count=1 status=none
    chmod 0400 "$key.tmp"
    mv "$key.tmp" "$key"
  fi
  rm -f "$SOCKET" "$SOCKET.lock"
  # --force: the directories are under /tmp, which munged finds too open.
  munged --force --socket="$SOCKET" --key-file="$key" \
    --log-file="$DIR/log/munged.log" --pid-file="$DIR/run/munged.pid" \
    --seed-file="$DIR/munge/munged.seed" \
    || die "munged did not start; see $DIR/log/munged.log"

  for _ in $(seq 1 50); do
    [ -S "$SOCKET" ] && running munged && return 0
    sleep 0.1
  done
  die "munged did not create $SOCKET; see $DIR/log/munged.log"
}

wait_nodes() { # until slurmctld answers and every node takes jobs
  local node state="" up
  for _ in $(seq 1 60); do
    up=0
    for node in $(node_names); do
      state=$(sinfo -h -n "$node" -o %t 2>/dev/null | head -1) || true
      case $state in
        idle* | mix* | alloc* | comp*) up=$((up + 1)) ;;
        drain* | down* | drng* | fail*)
          scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;;
      esac
    done
    [ "$up" -eq "$(node_names | wc -l)" ] && return 0
    sleep 0.5
  done
  echo "local-cluster.sh: $up of $(node_names | wc -l) nodes up (last state '${state:-no answer}'); logs:" >&2
  show_logs >&2
  exit 1
}

cmd_start() {
  need_tools
  [[ $NODES =~ ^[1-9][0-9]*$ ]] || die "--nodes: a positive integer, not '$NODES'"
  if all_running; then
    local have
    have=$(node_names | wc -l)
    [ -z "$NODES_ASKED" ] || [ "$have" -eq "$NODES" ] ||
      die "running with $have node(s), not $NODES: stop it first ($0 stop)"
    echo "local Slurm cluster already running in $DIR (SLURM_CONF=$CONF, $have node(s))"
    return 0
  fi
  mkdir -p "$DIR"/{etc,munge,state,spool,log,run,tmp}
  chmod 0700 "$DIR/munge"
  # The config is rewritten only while no Slurm daemon runs on it.
  if ! running slurmctld && ! any_slurmd; then write_conf "$NODES"; fi
  export SLURM_CONF=$CONF
  start_munged
  if ! running slurmctld; then
    # -c: no jobs from the saved state. stop cancels every job, so the state
    # has some only after a crash or a kill, and then they are stale: an
    # srun allocation whose srun is gone holds its node forever.
    slurmctld -c -f "$CONF" || die "slurmctld did not start; see $DIR/log/slurmctld.log"
  fi
  local node
  for node in $(node_names); do
    if ! slurmd_pid "$node" >/dev/null; then
      slurmd -N "$node" -f "$CONF" || die "slurmd of $node did not start; see $DIR/log/slurmd-$node.log"
    fi
  done
  wait_nodes
  echo "local Slurm cluster started in $DIR: $(sinfo -h -o '%D node(s) (%N), %c CPUs each, partition %P %t' | head -1)"
  echo "use it with:  eval \"\$($0 env)\""
}

# stop_daemon NAME [PIDFILE]: SIGTERM, wait up to 10 s, then SIGKILL
stop_daemon() {
  local name=$1 file=${2:-$DIR/run/$1.pid} pid
  pid=$(pid_of "$name" "$file") || { rm -f "$file"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    echo "local-cluster.sh: $name ($pid) did not stop on SIGTERM; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_stop() {
  export SLURM_CONF=$CONF
  local any=0 d f
  for d in slurmctld munged; do running "$d" && any=1; done
  any_slurmd && any=1
  if [ "$any" -eq 0 ]; then
    echo "local Slurm cluster not running in $DIR"
    return 0
  fi
  # Its jobs first, through Slurm, so no job process outlives the cluster.
  if running slurmctld && running munged && [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
    squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null || true
    for _ in $(seq 1 40); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.25
    done
  fi
  for f in "$DIR"/run/slurmd-*.pid "$DIR/run/slurmd.pid"; do
    [ -e "$f" ] && stop_daemon slurmd "$f"
  done
  stop_daemon slurmctld
  stop_daemon munged
  echo "local Slurm cluster stopped ($DIR)"
}

cmd_status() {
  export SLURM_CONF=$CONF
  local d
  for d in munged slurmctld; do
    if running "$d"; then echo "$d: running (pid $(pid_of "$d"))"; else echo "$d: not running"; fi
  done
  for d in $(node_names); do
    if slurmd_pid "$d" >/dev/null; then echo "slurmd $d: running (pid $(slurmd_pid "$d"))"; else
      echo "slurmd $d: not running"; fi
  done
  if ! all_running; then
    echo "local Slurm cluster not running in $DIR"
    return 3
  fi
  echo "SLURM_CONF=$CONF"
  sinfo
  squeue
}

# kill-node NODE: what a node crash looks like to the rest of the cluster.
# SIGKILL to the node's slurmd, to the job processes on it (found by their
# SLURMD_NODENAME) and to the slurmstepd above them. `start` brings it back.
cmd_kill_node() {
  local node=$1 pid p procs=()
  [ -n "$node" ] || { echo "local-cluster.sh: kill-node NODE" >&2; exit 2; }
  node_names | grep -qx -- "$node" || die "no node '$node' in $CONF"
  pid=$(slurmd_pid "$node") || die "slurmd of $node is not running"
  procs=("$pid")
  # One grep over every environment (NUL-separated): a fork or two per
  # process took seconds on a busy machine, by when the job had ended.
  local env ppid
  for env in $(grep -lzx -- "SLURMD_NODENAME=$node" /proc/[0-9]*/environ 2>/dev/null); do
    # this cluster's jobs only: another one (LESDE_SLURM_DIR) may have a
    # node of the same name
    grep -qzx -- "SLURM_CONF=$CONF" "$env" 2>/dev/null || continue
    p=${env#/proc/}
    p=${p%/environ}
    procs+=("$p")
    ppid=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || continue
    [ "$(cat "/proc/$ppid/comm" 2>/dev/null)" = slurmstepd ] && procs+=("$ppid")
  done
  kill -KILL "${procs[@]}" 2>/dev/null || true
  echo "killed node $node: slurmd $pid and ${#procs[@]} process(es) in all"
}

cmd_env() {
  printf 'export SLURM_CONF=%q\n' "$CONF"
  if [ "$(id -u)" -eq 0 ]; then
    # Open MPI refuses root unless told; jobs inherit this (sbatch --export=ALL).
    echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  fi
}

show_logs() {
  local f
  for f in "$DIR"/log/*.log; do
    [ -e "$f" ] || continue
    echo "== $f"
    tail -n 20 "$f"
  done
}

cmd=${1:-}
[ $# -eq 0 ] || shift
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) [ $# -ge 2 ] || { echo "local-cluster.sh: --nodes needs a number" >&2; exit 2; }
      NODES=$2 NODES_ASKED=1; shift 2 ;;
    --nodes=*) NODES=${1#--nodes=} NODES_ASKED=1; shift ;;
    -*) echo "local-cluster.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) [ "$cmd" = kill-node ] || { echo "local-cluster.sh: unexpected '$1' (try --help)" >&2; exit 2; }
       KILL_NODE=$1; shift ;;
  esac
done
# slurm.conf has no quoting: a path with white space is cut at it
case $cmd:$DIR in -h:* | --help:* | help:*) ;; *:*[[:space:]]*)
  die "LESDE_SLURM_DIR may not hold white space (slurm.conf cannot quote it): '$DIR'" ;; esac
case $cmd in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  nodes) node_names ;;
  kill-node) cmd_kill_node "${KILL_NODE:-}" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  conf) echo "$CONF" ;;
  logs) show_logs ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "local-cluster.sh: unknown command '$cmd' (try --help)" >&2; exit 2 ;;
esac
