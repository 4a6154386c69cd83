#!/usr/bin/env bash
# Kill and resume: kill -9 the whole mpirun at five random moments (from
# round 2 on, after the round's first finished task), resuming each time;
# the final store equals an uninterrupted run's, and no task whose status
# was written is computed again (its finished_at stays the same).
# Then SIGTERM: exit 3, and a resume completes.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
# Longer training tasks, so that the kills land mid-sweep.
SET=(--set study.train.iters=15000)
start=$(date +%s.%N)
expect_exit 0 "reference sweep" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$TMP/ref.h5" --quiet
D=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
echo "reference sweep: $D s" >&2

# The sweep's work: what its tasks took in the reference run, over 2 ranks.
d=$(/usr/bin/python3 - "$TMP/ref.h5" <<'PY'
import h5py, numpy as np, sys
ref = h5py.File(sys.argv[1], "r")
print(sum(np.asarray(ref["study"][s]["wall_seconds"]).sum() for s in ref["study"]) / 2)
PY
)
done_now() { # tasks done by the last progress line of the sweep's stderr $1 (0: none yet);
  # not lesde status, whose reads of a store being written may fail
  local n
  n=$(sed -n 's/^lesde: [^:]*: \([0-9][0-9]*\) done, .*/\1/p' "$1" 2>/dev/null | tail -1)
  echo "${n:-0}"
}
RANDOM=$$
midway=0
for round in 1 2 3 4 5; do
  before=$(if [ -e "$TMP/s.h5" ]; then finished_at "$TMP/s.h5" | wc -l; else echo 0; fi)
  "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$TMP/s.h5" --progress 0.02 \
    >/dev/null 2>"$TMP/err.$round" &
  pid=$!
  if [ "$round" -gt 1 ]; then
    # after round 1 (a moment anywhere, store creation included): wait
    # for one more task done, then up to 0.1 s more, so that a slow or busy
    # machine still kills the sweep mid-way (the last tasks, the sde ones,
    # take milliseconds: a moment drawn from the work left often missed)
    for _ in $(seq 1 600); do
      [ "$(done_now "$TMP/err.$round")" -gt "$before" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    sleep "$(awk -v r="$RANDOM" 'BEGIN { print 0.1 * r / 32768 }')"
  else
    # a random moment within the sweep's work (plus start-up)
    sleep "$(awk -v d="$d" -v r="$RANDOM" 'BEGIN { print 0.5 + 0.7 * d * r / 32768 }')"
  fi
  alive=0
  kill -0 "$pid" 2>/dev/null && alive=1
  kill_tree "$pid"
  wait "$pid" 2>/dev/null
  if [ ! -e "$TMP/s.h5" ]; then bad "round $round: no store"; continue; fi
  expect_exit 0 "round $round: status after kill -9" "$LESDE" status "$TMP/s.h5"
  finished_at "$TMP/s.h5" >"$TMP/done.$round"
  n=$(wc -l <"$TMP/done.$round")
  echo "round $round: $n tasks done$([ "$alive" = 1 ] || echo ", the sweep had ended")" >&2
  # mid-sweep: the sweep still ran (tasks left, or the summaries being
  # written after the last task) and had finished some work
  [ "$alive" = 1 ] && [ "$n" -gt 0 ] && midway=$((midway + 1))
done
check "at least two kills landed mid-sweep ($midway)" test "$midway" -ge 2
expect_exit 0 "final resume" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$TMP/s.h5" \
  --progress 1000
finished_at "$TMP/s.h5" >"$TMP/done.final"
# its closing progress line's rate counts this run's tasks only, not those
# the rounds before had done (with them, a resumed sweep's rate and ETA
# were as if it had done them all in its own seconds)
check "final resume: the rate is of its own tasks" /usr/bin/python3 - "$TMP/err" \
  "$(wc -l <"$TMP/done.5")" "$(wc -l <"$TMP/done.final")" <<'PY'
import re, sys
line = [l for l in open(sys.argv[1]) if re.match(r"lesde: smoke: \d+ done, ", l)][-1]
m = re.search(r"(\d+) done, 0 failed, (\d+) total, ([\d.]+)/min, elapsed (\d+)s, ETA 0s$", line)
assert m, line
fresh, rate, el = int(sys.argv[3]) - int(sys.argv[2]), float(m[3]), int(m[4])
# elapsed is printed in whole seconds, cut: the tasks lie within
# rate x [el, el + 1 s)
assert rate * el / 60 - 0.05 <= fresh <= rate * (el + 1) / 60 + 0.05, (fresh, line)
PY
for round in 1 2 3 4 5; do
  check "round $round: done tasks not computed again" \
    bash -c "comm -23 <(sort '$TMP/done.$round') <(sort '$TMP/done.final') | wc -l | grep -qx 0"
done
check "resumed store equals the uninterrupted one" \
  /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/s.h5"

# Killed while it makes its store (stopped by gdb at fill_strings, after
# the datasets and before the string coordinates, then killed): the store
# is made as STORE.tmp and renamed when whole, so nothing at STORE is left
# damaged, nor without its coordinates for a resume to take as whole; the
# resume removes the .tmp, makes the store again and equals a clean sweep.
expect_exit 0 "a short reference sweep" "$LESDE" sweep "$SPEC" --store "$TMP/gref.h5" --quiet
gdb -batch -ex 'break fill_strings' -ex run -ex kill \
  --args "$LESDE" sweep "$SPEC" --store "$TMP/g.h5" --quiet >"$TMP/gdb.out" 2>&1
check "gdb stopped the sweep in fill_strings" grep -q "hit Breakpoint 1, fill_strings" "$TMP/gdb.out"
check "killed while made: no store, its .tmp and lock left" \
  test ! -e "$TMP/g.h5" -a -e "$TMP/g.h5.tmp" -a -e "$TMP/g.h5.lock"
expect_exit 2 "status of it: no store yet" "$LESDE" status "$TMP/g.h5"
expect_exit 0 "the resume" "$LESDE" sweep "$SPEC" --store "$TMP/g.h5" --quiet
check "the resume removed the .tmp" test ! -e "$TMP/g.h5.tmp"
check "the store killed while made, resumed, equals a clean sweep's" \
  /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/gref.h5" "$TMP/g.h5"

# Signals: stop handing out, finish running tasks, exit 3; then resume.
# mpirun turns a SIGTERM of its own into a kill of the job, but forwards
# SIGUSR1; Slurm signals the ranks themselves. All three ways are tested.
interrupt() { # interrupt NAME SIGNAL TARGET(mpirun|ranks|single)
  local name=$1 sig=$2 target=$3 store=$TMP/$1.h5 pid rc
  if [ "$target" = single ]; then
    "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$store" --grace 30 >/dev/null 2>"$TMP/$name.err" &
  else
    "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$store" --grace 30 >/dev/null 2>"$TMP/$name.err" &
  fi
  pid=$!
  for _ in $(seq 1 300); do  # until a task is done
    sleep 0.2
    "$LESDE" status "$store" 2>/dev/null | grep -q "total: [1-9]" && break
  done
  case $target in
    ranks) pkill "-$sig" -P "$pid" ;;
    *) kill "-$sig" "$pid" ;;
  esac
  wait "$pid"
  rc=$?
  if [ "$rc" -eq 3 ]; then ok; else bad "$name: exit $rc, expected 3: $(tail -3 "$TMP/$name.err")"; fi
  check "$name: says it resumes" grep -q "run the same command again to resume" "$TMP/$name.err"
  check "$name: tasks left pending" sh -c "'$LESDE' status '$store' | grep -q 'total: .* [1-9][0-9]* pending'"
  expect_exit 0 "$name: resume" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$store" --quiet
  check "$name: resumed store equals the reference" \
    /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$store"
}
interrupt term-ranks TERM ranks
interrupt usr1-mpirun USR1 mpirun
interrupt term-single TERM single

# SDE tasks: rank 0 serves the workers between a task's observations (it
# used to only between tasks, so rank 1 waited for rank 0's first task to
# end before it got one), and a stop abandons them past --grace.
sde_spec() { # sde_spec SEEDS N_OBS
  printf '[sweep]\nname = sde\nseeds = %s\n[study.s]\nkind = sde\nclasses = 6\nn = 200\nn_obs = %s\n' "$1" "$2"
}
sde_spec 0..3 100 >"$TMP/sde.ini"
expect_exit 0 "sde sweep" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$TMP/sde.ini" --store "$TMP/sde.h5" --quiet
check "sde: rank 1's first task starts within rank 0's first" /usr/bin/python3 - "$TMP/sde.h5" <<'PY'
import h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r")["study/s"]
rank, end, wall = (np.asarray(g[k]).ravel() for k in ("rank", "finished_at", "wall_seconds"))
start = end - wall
first = {r: np.argmin(np.where(rank == r, start, np.inf)) for r in (0, 1)}
a, b = first[0], first[1]
print(f"rank 0's first task {start[a]:.2f}-{end[a]:.2f}, rank 1's starts {start[b]:.2f}", file=sys.stderr)
sys.exit(0 if start[b] < start[a] + wall[a] / 2 else 1)
PY
sde_spec 0..1 20000 >"$TMP/sdelong.ini"  # tasks of minutes
"${MPIRUN[@]}" -n 2 "$LESDE" sweep "$TMP/sdelong.ini" --store "$TMP/sdelong.h5" --grace 0 --quiet \
  >/dev/null 2>"$TMP/sdelong.err" &
pid=$!
check "sde: the long sweep made its store" wait_for 60 sh -c "'$LESDE' status '$TMP/sdelong.h5' >/dev/null 2>&1"
sleep 1
t0=$(date +%s)
kill -USR1 "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 3 ]; then ok; else bad "sde: stopped, exit $rc, expected 3: $(tail -3 "$TMP/sdelong.err")"; fi
check "sde: abandoned past --grace 0, not run to its end (took $(($(date +%s) - t0)) s)" \
  test $(($(date +%s) - t0)) -lt 30
check "sde: both tasks left pending" sh -c "'$LESDE' status '$TMP/sdelong.h5' | grep -q 'total: 0 done, 0 failed, 2 pending'"
# A signal to one rank alone reaches the others through rank 0: to rank 0
# (the pid that the lock and lesde status name), or to a worker. Every
# rank abandons its task past --grace, not only the one signalled (a
# worker used to run its SDE task of minutes to its end).
one_rank() { # one_rank NAME WHICH(0|1) GRACE
  local name=$1 store=$TMP/$1.h5 pid r0 target rc t0 g=$3
  "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$TMP/sdelong.ini" --store "$store" --grace "$g" \
    >/dev/null 2>"$TMP/$name.err" &
  pid=$!
  check "$name: the store is made" wait_for 60 sh -c "'$LESDE' status '$store' >/dev/null 2>&1"
  sleep 1
  r0=$(sed -n 's/^pid=//p' "$store.lock")
  target=$r0
  [ "$2" = 1 ] && target=$(pgrep -f -- "[-]-store $store" | grep -vx "$r0" | grep -vx "$pid" | head -1)
  t0=$(date +%s)
  kill -TERM "$target"
  # rank 0 says so at once: a worker's signal comes as its own message,
  # not with the worker's next request, after its task (and its grace)
  check "$name: rank 0 stops within 5 s of the signal (--grace $g)" \
    wait_for 5 grep -q "no more tasks are handed out" "$TMP/$name.err"
  wait "$pid"
  rc=$?
  if [ "$rc" -eq 3 ]; then ok; else bad "$name: exit $rc, expected 3: $(tail -3 "$TMP/$name.err")"; fi
  check "$name: every rank abandoned its task past --grace $g (took $(($(date +%s) - t0)) s)" \
    test $(($(date +%s) - t0)) -lt $((g + 30))
  check "$name: both tasks left pending" sh -c "'$LESDE' status '$store' | grep -q 'total: 0 done, 0 failed, 2 pending'"
}
one_rank term-rank0 0 2
check "term-rank0: says it stops" grep -q "signal 15: no more tasks are handed out" "$TMP/term-rank0.err"
one_rank term-rank1 1 10
check "term-rank1: rank 0 says rank 1 stopped, and on which signal" \
  grep -q "rank 1 saw signal 15: no more tasks are handed out" "$TMP/term-rank1.err"
finish
