#!/usr/bin/env bash
# submit.sh -- submit a lesde sweep to Slurm, and its report after it.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(dirname "$HERE")

usage() {
  cat <<'EOF'
Usage: slurm/submit.sh SPEC [OPTIONS] [-- SBATCH OPTIONS]

Submits two jobs: the sweep (slurm/lesde.sbatch: srun --mpi=pmix lesde sweep
SPEC, requeued until done when it hits its time limit) and the report
(slurm/report.sbatch: lesde report STORE --out RESULTS/report), which runs
only after the sweep succeeded (--dependency=afterok) and is cancelled if it
fails. Prints both job ids. Logs go to RESULTS/slurm-<jobid>.out.

Options:
  --nodes N              nodes for the sweep (default 1)
  --ntasks-per-node M    lesde ranks per node (default: sbatch's, 1)
  --time T               time limit of each run of the sweep job (sbatch
                         format, e.g. 12:00:00); it is requeued until done
  --partition P          partition of both jobs
  --store FILE           the store (default RESULTS/store.h5)
  --results DIR          logs and report (default results/<sweep name>)
  --grace S              seconds running tasks may go on after the time-limit
                         warning (default 120); the warning comes S+60 s
                         before the limit
  --set KEY=VALUE        override a spec key (lesde sweep --set); repeatable
  --study NAME,...       run only these studies' tasks (lesde sweep --study);
                         the report still covers the whole store
  --mpi-info K=V,...     MPI-IO hints for the store (lesde sweep --mpi-info)
  --lesde PATH           the lesde binary (default: $LESDE, else this
                         script's own: PREFIX/bin/lesde when it is installed,
                         this checkout's build/lesde (or $LESDE_BUILD/lesde)
                         when built; else lesde on PATH)
  --no-report            submit the sweep only
  --no-check             do not check the spec here before submitting
                         (default: lesde sweep --dry-run must accept it, and
                         the store, if there is one)
  --parsable             print "SWEEP_ID REPORT_ID" only
  --dry-run              print the sbatch commands instead of running them
  -h, --help             this help
  -- SBATCH OPTIONS      passed to sbatch for both jobs (e.g. --account=A,
                         --qos=Q, --constraint=C)

SPEC is a file, or the name of a spec found as lesde sweep finds it (in
$LESDE_SPEC_PATH, then the sweep/ specs beside this script), e.g. quickstart.
The sweep name is the spec's [sweep] name (default: the file's base name).
Relative paths are made absolute; run it from a directory every node sees.

Example:
  slurm/submit.sh sweep/fig3.ini --nodes 4 --ntasks-per-node 32 \
      --time 12:00:00 --store /scratch/$USER/fig3.h5 -- --account=proj42
EOF
}

die() { echo "submit.sh: $*" >&2; exit 2; }
abspath() { # the absolute form of a path that may not exist yet
  case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac
}
# sweep_name SPEC: [sweep] name = X, else the file's base name without .ini
sweep_name() {
  local name
  name=$(awk '
    /^[ \t]*\[/ { insec = ($0 ~ /^[ \t]*\[[ \t]*sweep[ \t]*\]/); next }
    insec && /^[ \t]*name[ \t]*[=:]/ {
      sub(/^[^=:]*[=:][ \t]*/, ""); sub(/[ \t]+[;#].*$/, ""); sub(/[ \t\r]+$/, "")
      print; exit
    }' "$1")
  if [ -z "$name" ]; then name=$(basename "$1"); name=${name%.ini}; fi
  echo "$name"
}
need_value() { if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value (try --help)"; fi; }

spec="" nodes=1 ntasks="" time="" partition="" store="" results="" grace=120
lesde=${LESDE:-} report=1 check=1 parsable=0 dry=0
lesde_args=() sbatch_extra=()
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --nodes) need_value "$@"; nodes=$2; shift 2 ;;
    --ntasks-per-node) need_value "$@"; ntasks=$2; shift 2 ;;
    --time) need_value "$@"; time=$2; shift 2 ;;
    --partition) need_value "$@"; partition=$2; shift 2 ;;
    --store) need_value "$@"; store=$2; shift 2 ;;
    --results) need_value "$@"; results=$2; shift 2 ;;
    --grace) need_value "$@"; grace=$2; shift 2 ;;
    --set) need_value "$@"; lesde_args+=(--set "$2"); shift 2 ;;
    --study) need_value "$@"; lesde_args+=(--study "$2"); shift 2 ;;
    --mpi-info) need_value "$@"; lesde_args+=(--mpi-info "$2"); shift 2 ;;
    --lesde) need_value "$@"; lesde=$2; shift 2 ;;
    --no-report) report=0; shift ;;
    --no-check) check=0; shift ;;
    --parsable) parsable=1; shift ;;
    --dry-run) dry=1; shift ;;
    --) shift; sbatch_extra=("$@"); break ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *) [ -z "$spec" ] || die "one spec only ('$spec', then '$1')"; spec=$1; shift ;;
  esac
done
[ -n "$spec" ] || { usage >&2; exit 2; }
# A name that is no file here is looked up as lesde sweep does it:
# $LESDE_SPEC_PATH, then the specs beside this script (the checkout's sweep/,
# or PREFIX/share/lesde/sweep when installed).
if [ ! -f "$spec" ] && [[ $spec != */* ]]; then
  IFS=: read -r -a dirs <<<"${LESDE_SPEC_PATH:-}"
  for d in "${dirs[@]}" "$REPO/sweep"; do
    if [ -n "$d" ] && [ -f "$d/$spec" ]; then spec=$d/$spec; break; fi
    if [ -n "$d" ] && [ -f "$d/$spec.ini" ]; then spec=$d/$spec.ini; break; fi
  done
fi
{ [ -f "$spec" ] && [ -r "$spec" ]; } || die "cannot read the spec '$spec' (no readable file)"
[[ $nodes =~ ^[1-9][0-9]*$ ]] || die "--nodes: a positive integer, not '$nodes'"
[ -z "$ntasks" ] || [[ $ntasks =~ ^[1-9][0-9]*$ ]] || die "--ntasks-per-node: a positive integer, not '$ntasks'"
[[ $grace =~ ^[0-9]+$ ]] || die "--grace: whole seconds, not '$grace'"
grace=$((10#$grace)) # 090 is 90, not a bad octal number

# This script's own lesde first (installed as PREFIX/share/lesde/slurm/
# submit.sh: PREFIX/bin/lesde; in a checkout: its build), then PATH's: the
# specs beside it are that binary's.
if [ -z "$lesde" ]; then
  if [ -x "$REPO/../../bin/lesde" ] && [ -d "$REPO/../../share/lesde" ]; then
    lesde=$(cd "$REPO/../../bin" && pwd)/lesde
  elif [ -x "$REPO/${LESDE_BUILD:-build}/lesde" ]; then
    lesde=$(abspath "$REPO/${LESDE_BUILD:-build}/lesde")
  else
    lesde=$(command -v lesde 2>/dev/null || true)
  fi
  [ -n "$lesde" ] || lesde=$REPO/build/lesde
fi
case $lesde in */*) lesde=$(abspath "$lesde") ;; esac
[ -x "$lesde" ] || die "lesde binary '$lesde' not found or not executable (build it, or --lesde PATH)"

spec=$(abspath "$spec")
name=$(sweep_name "$spec")
[ -n "$results" ] || results=results/$name
results=$(abspath "$results")
[ -n "$store" ] || store=$results/store.h5
store=$(abspath "$store")

# A bad spec, or a store this sweep would not resume, fails here, in a
# second, not after its turn in the queue.
if [ "$check" -eq 1 ]; then
  if ! out=$("$lesde" sweep "$spec" "${lesde_args[@]}" --store "$store" --dry-run 2>&1); then
    echo "$out" >&2
    die "the spec, or the store, was refused (nothing submitted)"
  fi
fi

sweep_opts=(--parsable --export=ALL --job-name="lesde-$name" --nodes="$nodes"
  --output="$results/slurm-%j.out" --signal="B:USR1@$((grace + 60))")
[ -z "$ntasks" ] || sweep_opts+=(--ntasks-per-node="$ntasks")
[ -z "$time" ] || sweep_opts+=(--time="$time")
[ -z "$partition" ] || sweep_opts+=(--partition="$partition")
report_opts=(--parsable --export=ALL --job-name="lesde-report-$name" --nodes=1 --ntasks=1
  --output="$results/slurm-%j.out" --kill-on-invalid-dep=yes)
[ -z "$partition" ] || report_opts+=(--partition="$partition")
sweep_env=(SPEC="$spec" STORE="$store" LESDE="$lesde" GRACE="$grace")
report_env=(STORE="$store" OUT="$results/report" LESDE="$lesde")

if [ "$dry" -eq 1 ]; then
  echo "mkdir -p $(printf '%q' "$results")"
  # shellcheck disable=SC2016 # $(...) and ${...} are for the reader's shell
  printf 'SWEEP_JOB=$(env'; printf ' %q' "${sweep_env[@]}"
  printf ' sbatch'; printf ' %q' "${sweep_opts[@]}" "${sbatch_extra[@]}" "$HERE/lesde.sbatch" "${lesde_args[@]}"
  printf ')\n'
  if [ "$report" -eq 1 ]; then
    printf 'env'; printf ' %q' "${report_env[@]}"
    printf ' sbatch'; printf ' %q' "${report_opts[@]}"
    # shellcheck disable=SC2016
    printf ' --dependency=afterok:${SWEEP_JOB%%%%;*}'
    printf ' %q' "${sbatch_extra[@]}" "$HERE/report.sbatch"
    printf '\n'
  fi
  exit 0
fi

command -v sbatch >/dev/null 2>&1 || die "sbatch not found (is Slurm installed, SLURM_CONF set?)"
mkdir -p "$results" "$(dirname "$store")"
sweep_id=$(env "${sweep_env[@]}" sbatch "${sweep_opts[@]}" "${sbatch_extra[@]}" "$HERE/lesde.sbatch" "${lesde_args[@]}") \
  || die "sbatch refused the sweep job"
sweep_id=${sweep_id%%;*}
report_id=""
if [ "$report" -eq 1 ]; then
  if ! report_id=$(env "${report_env[@]}" sbatch "${report_opts[@]}" --dependency="afterok:$sweep_id" \
    "${sbatch_extra[@]}" "$HERE/report.sbatch"); then
    echo "submit.sh: sbatch refused the report job; the sweep job $sweep_id is queued" >&2
    exit 1
  fi
  report_id=${report_id%%;*}
fi

if [ "$parsable" -eq 1 ]; then
  echo "$sweep_id${report_id:+ $report_id}"
else
  echo "sweep job $sweep_id ($name): log $results/slurm-$sweep_id.out, store $store"
  [ -z "$report_id" ] || echo "report job $report_id (after $sweep_id succeeds): $results/report/index.html"
fi
