#!/usr/bin/env bash
# The store lock, under mpirun: a sweep holds STORE.lock for its whole run;
# a second sweep on the store, --new included, and lesde summarize are
# refused at once (exit 1) naming the holder, while the first goes on;
# lesde status and lesde report read the store meanwhile (with HDF5's own
# file locking forced on) and say that it is in progress; the lock goes
# when the sweep ends, interrupted too. A lock left by a killed sweep (same
# host, pid gone), an old one from another host, and one of the same Slurm
# job before its requeue are taken over, saying so; a fresh one from
# another host is not. HDF5's own file lock, forced on, is waited for; a
# stopped sweep whose summaries it keeps out still exits 3.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
S=$TMP/s.h5
LONG=(--set study.train.iters=400000)  # runs until stopped

lock_field() { sed -n "s/^$1=//p" "$S.lock"; }

# A holds the store.
export HDF5_USE_FILE_LOCKING=TRUE  # readers must not trip over the writer
"${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$S" --grace 0 --quiet \
  >/dev/null 2>"$TMP/a.err" &
A=$!
check "A takes the lock" wait_for 60 test -s "$S.lock"
check "A made the store" wait_for 60 sh -c "'$LESDE' status '$S' >/dev/null 2>&1"
pid=$(lock_field pid)
host=$(lock_field host)
check "the lock names this host and a live pid" sh -c "[ '$host' = \"\$(hostname)\" ] && kill -0 '$pid'"

expect_exit 0 "status while A writes" "$LESDE" status "$S"
check "status: in progress, naming the holder" \
  grep -q "in progress: a sweep is writing it (host $host, pid $pid, since" "$TMP/out"
check "status: no pace before a task is done" grep -qx "pace: no task done in the last [0-9]*[sm].* yet" "$TMP/out"
expect_exit 0 "report while A writes" "$LESDE" report "$S" --out "$TMP/rep" --quiet
check "report: says in progress" grep -q "^lesde: $S: in progress: a sweep is writing it (host $host, pid $pid" "$TMP/err"
check "report: no 'was the sweep killed?'" sh -c "! grep -q 'killed' '$TMP/err'"
expect_exit 0 "status --json while A writes" "$LESDE" status --json "$S"
check "status --json: in progress, pace and eta null" /usr/bin/python3 -c "
import json, sys; j = json.load(open('$TMP/out'))
sys.exit(0 if j['in_progress'] and j['pace_per_min'] is None and j['eta_s'] is None else 1)"

before=$(md5sum <"$S.lock")
expect_exit 1 "B: a second sweep on 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$S" --quiet
check "B: one line naming the holder" \
  grep -qx "lesde: $S: in use by another sweep (host $host, pid $pid, since .*; lock $S.lock, refreshed [0-9]* s ago); run this again when it has ended (the lock of a sweep that died is taken over)" "$TMP/err"
expect_exit 1 "B --new refused" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$S" --new --quiet
check "B --new: in use" grep -q "in use by another sweep (host $host, pid $pid" "$TMP/err"
check "B --new: the store is still there" test -s "$S"
expect_exit 1 "summarize refused" "$LESDE" summarize "$S"
check "summarize: says a sweep writes it" grep -q "a sweep is writing it (host $host, pid $pid" "$TMP/err"
# train and simulate --out would rename a new file over it: refused
for c in "train --quiet --iters 50 --checkpoints 6" "simulate --quiet --reps 1 --T 10 --n-obs 2"; do
  read -r -a args <<<"$c"
  expect_exit 1 "${args[0]} --out onto the store" "$LESDE" "${args[@]}" --out "$S"
  check "${args[0]} --out onto the store: says a sweep writes it" \
    grep -q "^lesde: $S: a sweep is writing it (host $host, pid $pid, .*); --out would replace it: give another file$" "$TMP/err"
done
# the same store by another path (a symlinked directory, or a link to the
# file): the same lock, so refused too (the lock was named from the path
# as given, and both sweeps ran)
ln -s "$(dirname "$S")" "$TMP/linkdir"
ln -s "$S" "$TMP/link.h5"
for other in "$TMP/linkdir/$(basename "$S")" "$TMP/link.h5"; do
  expect_exit 1 "B by another path ($other)" "$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$other" --quiet
  check "B by another path: in use, the lock beside the real store" \
    grep -q "in use by another sweep (host $host, pid $pid, since .*; lock $(realpath "$S").lock," "$TMP/err"
done
expect_exit 0 "status by another path" "$LESDE" status "$TMP/link.h5"
check "status by another path: in progress" grep -q "in progress: a sweep is writing it (host $host, pid $pid" "$TMP/out"
check "the lock is still A's" sh -c "[ \"\$(md5sum <'$S.lock')\" = '$before' ]"
check "A still runs" kill -0 "$A"

# A is stopped (SIGUSR1 to mpirun): exit 3, the lock goes.
kill -USR1 "$A"
wait "$A"
rc=$?
if [ "$rc" -eq 3 ]; then ok; else bad "A: exit $rc, expected 3: $(tail -2 "$TMP/a.err")"; fi
check "A left no lock" test ! -e "$S.lock"
check "no lock file of any kind left" sh -c "! ls '$S'.lock* 2>/dev/null | grep -q ."
unset HDF5_USE_FILE_LOCKING
# --new through a link to the store file is refused: the lock lies beside
# the store the link names, the new file would take the link's place, and
# a second sweep by the link's path would lock another name (a symlinked
# directory is fine: the file is the same).
sum=$(md5sum <"$S")
for dry in "" --dry-run; do
  expect_exit 2 "--new $dry through a link to the store" "$LESDE" sweep "$SPEC" --store "$TMP/link.h5" --new $dry --quiet
  check "--new $dry through a link: says so, naming the store" \
    grep -qx "lesde: $TMP/link.h5: a symbolic link (to $(realpath "$S")); --new replaces a store only at its own path: give that path" "$TMP/err"
done
check "--new through a link: the link and the store untouched" \
  sh -c "[ -L '$TMP/link.h5' ] && [ \"\$(md5sum <'$S')\" = '$sum' ]"

# The pace of a sweep whose tasks finish: status counts the tasks done since
# it took the lock (the window is 15 min) and the time the pending need,
# weighing tasks by their estimated costs: the train tasks go first
# (longest first) and the 200 SDE tasks, ~30,000 times cheaper, add
# nothing to the time to go (counted as tasks they would double it).
# status_midway NAME [sweep args...]: a sweep of 100 seeds into $TMP/NAME.h5;
# once it has done a task, its lock, status and status --json go to
# $TMP/NAME.lock, .txt and .json; then it is stopped (SIGUSR1).
status_midway() {
  local name=$1 store=$TMP/$1.h5 pid rc; shift
  "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --set sweep.seeds=0..99 --set study.train.iters=3000 \
    "$@" --store "$store" --grace 0 --quiet >/dev/null 2>"$TMP/$name.err" &
  pid=$!
  check "$name has done a task" wait_for 60 sh -c "'$LESDE' status '$store' 2>/dev/null | grep -q '^total: [1-9]'"
  cp "$store.lock" "$TMP/$name.lock"
  expect_exit 0 "status while $name runs" "$LESDE" status "$store"
  cp "$TMP/out" "$TMP/$name.txt"
  expect_exit 0 "status --json while $name runs" "$LESDE" status --json "$store"
  cp "$TMP/out" "$TMP/$name.json"
  kill -USR1 "$pid"
  wait "$pid"
  rc=$?
  if [ "$rc" -eq 3 ] || [ "$rc" -eq 0 ]; then ok; else bad "$name: exit $rc: $(tail -2 "$TMP/$name.err")"; fi
}
status_midway p
# a fresh store: every done task was done since the lock was taken; the
# rate is those over the window's seconds, the time to go the pending
# train tasks / rate
check "status: the pace and the time to go agree with the counts" /usr/bin/python3 - "$TMP/p.txt" "$TMP/p.json" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
d, p = map(int, re.search(r"^total: (\d+) done, 0 failed, (\d+) pending$", t, re.M).groups())
sd, sp = map(int, re.search(r"^  sde +sde +(\d+) done +0 failed +(\d+) pending$", t, re.M).groups())
assert sd == 0 and sp == 200, t  # no SDE task yet: they come last
p_train = p - sp
m = re.search(r"^pace: (\d+) tasks done in the last (\d+)s \(([\d.e+]+)/min\); "
              r"the (\d+) pending need ~(?:(\d+)s|(\d+)m(\d+)s|(\d+)h(\d+)m) at this pace "
              r"\(weighed by the tasks' estimated costs\)$",
              t, re.M)
assert m, t
r, span, rate, p2 = int(m[1]), int(m[2]), float(m[3]), int(m[4])
if m[5]:
    eta, step = int(m[5]), 1
elif m[6]:
    eta, step = 60 * int(m[6]) + int(m[7]), 1
else:
    eta, step = 3600 * int(m[8]) + 60 * int(m[9]), 60
assert r == d >= 1 and p2 == p and span >= 1, t
assert abs(rate - r / span * 60) <= 0.006 * rate, (rate, r, span)  # printed to 3 digits
assert abs(eta - p_train / rate * 60) <= 0.006 * eta + step, (eta, p_train, rate)
j = json.load(open(sys.argv[2]))
assert j["in_progress"] and j["pace_per_min"] > 0, j
tr = [s for s in j["studies"] if s["name"] == "train"][0]
assert abs(j["eta_s"] - tr["pending"] / j["pace_per_min"] * 60) <= 0.001 * j["eta_s"] + 1, j
PY
# A sweep of one study (--study train): its lock names it, and status counts
# only its pending tasks in the time to go, saying so; the SDE study's wait.
status_midway q --study train
check "q's lock names its study" grep -qx "studies=train" "$TMP/q.lock"
check "status: q runs only study train, the time to go its pending" /usr/bin/python3 - "$TMP/q.txt" "$TMP/q.json" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
assert re.search(r"^  it runs only studies train \(--study\); the others' tasks wait$", t, re.M), t
tp = int(re.search(r"^  train +train +\d+ done +0 failed +(\d+) pending$", t, re.M)[1])
p = int(re.search(r"^total: \d+ done, 0 failed, (\d+) pending$", t, re.M)[1])
m = re.search(r"^pace: \d+ tasks done in the last \d+s \([\d.e+]+/min\); the (\d+) pending of the "
              r"studies it runs need ~", t, re.M)
assert m and int(m[1]) == tp == p - 200, (t, tp, p)
j = json.load(open(sys.argv[2]))
assert j["in_progress"] and j["running_studies"] == ["train"], j
PY
expect_exit 0 "status after q" "$LESDE" status --json "$TMP/q.h5"
check "status --json after q: no running studies" /usr/bin/python3 -c "
import json, sys; j = json.load(open('$TMP/out'))
sys.exit(0 if not j['in_progress'] and j['lock'] is None and 'running_studies' not in j else 1)"
# A --study that lists every study (its lock as q's, the list whole) limits
# nothing: no study waits, and the time to go counts every pending task.
sleep 600 &
live=$!
sed -e "s/^pid=.*/pid=$live/" -e "s/^since=.*/since=$(date -u +%Y-%m-%dT%H:%M:%SZ)/" \
  -e "s/^studies=.*/studies=sde,train/" "$TMP/q.lock" >"$TMP/q.h5.lock"
expect_exit 0 "status, --study of every study" "$LESDE" status "$TMP/q.h5"
check "status: a --study of every study limits nothing" sh -c "grep -q 'in progress' '$TMP/out' &&
  ! grep -q 'runs only\|of the studies it runs' '$TMP/out'"
expect_exit 0 "status --json, --study of every study" "$LESDE" status --json "$TMP/q.h5"
check "status --json: running_studies null" /usr/bin/python3 -c "
import json, sys; j = json.load(open('$TMP/out'))
sys.exit(0 if j['in_progress'] and j['running_studies'] is None else 1)"
kill "$live"
wait "$live" 2>/dev/null
rm -f "$TMP/q.h5.lock"

# A sweep killed leaves its lock; the next sweep takes it over, saying
# whose and why. Killed as a SIGTERM (or SIGINT) to Open MPI's mpirun itself
# kills it: mpirun ends the job, exit 1, within ~2 s. (SIGKILL of the whole
# mpirun: e2e.sweep_resume.)
"${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$S" --quiet >/dev/null 2>&1 &
K=$!
check "K takes the lock" wait_for 60 sh -c "test -s '$S.lock' && [ \"\$(sed -n 's/^pid=//p' '$S.lock')\" != '$pid' ]"
kpid=$(lock_field pid)
kill -TERM "$K"
wait "$K"
rc=$?
check "SIGTERM to mpirun: it ends the job, exit 1 (got $rc)" test "$rc" -eq 1
check "the killed sweep's lock is left" test -s "$S.lock"
# mpirun may exit a moment before its ranks are reaped (seen once under
# ASan: status still found rank 0's process): wait until it is gone.
check "rank 0 (pid $kpid) gone within 10 s of mpirun" wait_for 10 sh -c "! kill -0 $kpid 2>/dev/null"
# As if it had been killed while taking the lock: its text under the name
# it writes it to before the link, and a dead lock moved aside.
cp "$S.lock" "$S.lock.$host.$kpid"
cp "$S.lock" "$S.lock.stale.$host.$kpid"
expect_exit 0 "status: not running" "$LESDE" status "$S"
check "status: a lock of a sweep that ended is left" grep -q "not running: .*pid $kpid.*its process $kpid is gone" "$TMP/out"
check "status: counts the two files left, removes none" sh -c \
  "grep -q '^  beside the store: 2 files a killed sweep left .*the next sweep removes them' '$TMP/out' && test -e '$S.lock.$host.$kpid'"
expect_exit 0 "resume after the kill takes the lock over" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$S" --new
check "says it took over from the dead pid" \
  grep -q "^lesde: $S: took over the lock of a dead sweep (host $host, pid $kpid, since .*): its process $kpid is gone" "$TMP/err"
check "says it removed the two files of a lock being taken" \
  grep -q "$S: removed 2 files that a sweep killed while taking the lock left beside the store" "$TMP/err"
check "neither is left" sh -c "! ls '$S'.lock.* 2>/dev/null"
check "the store is complete" sh -c "'$LESDE' status '$S' | grep -q 'total: 20 done, 0 failed, 0 pending'"
check "no lock left" test ! -e "$S.lock"

# Locks of other hosts: fresh, refused; older than 600 s, taken over.
printf 'host=elsewhere\npid=4242\nslurm_job=77\nslurm_restart=0\nsince=2026-01-01T00:00:00Z\n' >"$S.lock"
expect_exit 1 "a fresh lock of another host: refused" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$S" --quiet
check "names the other host and its job" grep -q "in use by another sweep (host elsewhere, pid 4242, Slurm job 77, since 2026-01-01T00:00:00Z" "$TMP/err"
# the same Slurm job, requeued since (the variables reach the ranks only:
# mpirun itself must not think it runs inside Slurm)
expect_exit 0 "the same Slurm job, requeued: taken over" "${MPIRUN[@]}" -n 2 \
  env SLURM_JOB_ID=77 SLURM_RESTART_COUNT=1 "$LESDE" sweep "$SPEC" --store "$S" --quiet
check "says: requeued" grep -q "took over the lock .*host elsewhere.*: its Slurm job 77 was requeued" "$TMP/err"
printf 'host=elsewhere\npid=4242\nslurm_job=\nslurm_restart=0\nsince=2026-01-01T00:00:00Z\n' >"$S.lock"
touch -d '11 minutes ago' "$S.lock"
expect_exit 0 "an old lock of another host: taken over" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$S" --quiet
check "says: not refreshed" grep -q "took over the lock of a dead sweep (host elsewhere, pid 4242, since .*): not refreshed for 6[0-9][0-9] s (more than 600) on another host" "$TMP/err"
check "no lock left at the end" test ! -e "$S.lock"

# A directory no file can be made in, with a store in it that opens for
# writing (an immutable directory: even root cannot add a file to it): the
# sweep runs without a lock and says so.
mkdir "$TMP/imm" && cp "$S" "$TMP/imm/s.h5"
if chattr +i "$TMP/imm" 2>/dev/null; then
  expect_exit 0 "an unlockable directory: the sweep runs" "$LESDE" sweep "$SPEC" --store "$TMP/imm/s.h5" --quiet
  chattr -i "$TMP/imm"
  check "says it runs without a lock" grep -q "^lesde: warning: $TMP/imm/s.h5: running without a lock (cannot write $TMP/imm/s.h5.lock.*: Operation not permitted): nothing stops a second sweep on this store" "$TMP/err"
  check "no lock left" test ! -e "$TMP/imm/s.h5.lock"
else
  echo "store_lock: chattr +i not possible here (not root, or not ext4/xfs): the unlocked run is not tested" >&2
fi

# HDF5's own lock, forced on (HDF5_USE_FILE_LOCKING=TRUE overrides lesde's
# choice not to take it): a reader waits while another process holds it
# briefly (a sweep's summaries, h5py), and says why after 5 s.
# jobs/mpirun (the quickstart's launcher) stopped by Ctrl-C: the terminal
# sends SIGINT to the whole process group, and mpirun, were it in it,
# would end the job itself (exit 1; with a task running, killed within
# ~2 s, the lock left: so it did before the wrapper kept mpirun apart and
# turned the signal into a SIGUSR1). A process group of its own stands in
# for the terminal's (ctrl_c_group, lib.sh).
ctrl_c_group "$ROOT/jobs/mpirun" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" \
  --store "$TMP/c.h5" --grace 0 --quiet >/dev/null 2>"$TMP/c.err"
ctrl_c "Ctrl-C on jobs/mpirun" $! "$TMP/c.h5" "$TMP/c.err"
check "Ctrl-C on jobs/mpirun: exit 3 (got $RC)" test "$RC" -eq 3
check "Ctrl-C on jobs/mpirun: says it stops" grep -q "^jobs/mpirun: stopping: running tasks finish; again to kill the job" "$TMP/c.err"
# past --grace 0 the running tasks are abandoned: they stay pending
check "Ctrl-C on jobs/mpirun: the running tasks left pending" \
  sh -c "'$LESDE' status '$TMP/c.h5' | grep -q 'total: 0 done, 0 failed, 20 pending'"
# A second Ctrl-C while the tasks finish (--grace 60) kills the job.
ctrl_c_group "$ROOT/jobs/mpirun" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" \
  --store "$TMP/d.h5" --grace 60 --quiet >/dev/null 2>"$TMP/d.err"
D=$!
check "twice: the sweep takes the lock" wait_for 60 test -s "$TMP/d.h5.lock"
check "twice: the store is made" wait_for 60 sh -c "'$LESDE' status '$TMP/d.h5' >/dev/null 2>&1"
kill -INT -- "-$D"
check "twice: the first one is taken" wait_for 10 grep -q "^jobs/mpirun: stopping" "$TMP/d.err"
kill -INT -- "-$D"
wait "$D"
rc=$?
# (mpirun, sent SIGTERM while it forwards the SIGUSR1, once in some 20
# tries here died of SIGSEGV itself: 139; the ranks must be gone either way)
check "a second Ctrl-C kills the job: exit 1, or mpirun's own signal (got $rc)" test "$rc" -eq 1 -o "$rc" -gt 128
no_rank_left() { ! pgrep -f -- "[-]-store $TMP/d.h5" >/dev/null; } # [-]: not this line's own
check "twice: no rank left" wait_for 10 no_rank_left

# jobs/mpirun started with & by a script (no job control): it inherits
# SIGINT ignored, as every such job does, and cannot trap it (README):
# kill -INT does nothing; SIGTERM stops the sweep as Ctrl-C does.
"$ROOT/jobs/mpirun" -n 2 "$LESDE" sweep "$SPEC" "${LONG[@]}" \
  --store "$TMP/e.h5" --grace 0 --quiet >/dev/null 2>"$TMP/e.err" &
E=$!
check "background: the store is made" wait_for 60 sh -c "'$LESDE' status '$TMP/e.h5' >/dev/null 2>&1"
kill -INT "$E"
sleep 2
check "background: SIGINT is ignored" sh -c "kill -0 $E && ! grep -q stopping '$TMP/e.err'"
kill -TERM "$E"
wait "$E"
rc=$?
check "background: SIGTERM stops it, exit 3 (got $rc)" test "$rc" -eq 3
check "background: says it stops" grep -q "^jobs/mpirun: stopping: running tasks finish" "$TMP/e.err"
check "background: no lock left" test ! -e "$TMP/e.h5.lock"

hold() { # hold SECONDS: h5py holds the store open for writing
  /usr/bin/python3 -c "
import h5py, sys, time
f = h5py.File('$S', 'a'); print('held', flush=True); time.sleep($1)" | head -1 >/dev/null
}
for cmd in status "report --out $TMP/rep" summarize; do
  hold 2 & sleep 1
  expect_exit 0 "HDF5's lock held 2 s: $cmd waits" env HDF5_USE_FILE_LOCKING=TRUE "$LESDE" $cmd "$S"
  wait
done
hold 9 & sleep 1
expect_exit 1 "HDF5's lock held 9 s: status gives up" env HDF5_USE_FILE_LOCKING=TRUE "$LESDE" status "$S"
check "says who holds what" grep -q "another process holds HDF5's file lock on it, and HDF5_USE_FILE_LOCKING=TRUE makes lesde respect it: unset it" "$TMP/err"
wait

# A stopped sweep whose summaries cannot be written (HDF5's lock held by a
# reader past the 5 s wait) still exits 3, on which slurm/lesde.sbatch
# alone requeues, and says so; the resumed sweep writes them.
H=$TMP/h.h5
HDF5_USE_FILE_LOCKING=TRUE "$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$H" --grace 0 --quiet \
  >/dev/null 2>"$TMP/h.err" &
HP=$!
check "summaries held: the store is made" wait_for 60 sh -c "'$LESDE' status '$H' >/dev/null 2>&1"
HDF5_USE_FILE_LOCKING=TRUE /usr/bin/python3 -c "
import h5py, time
f = h5py.File('$H', 'r'); print('held', flush=True); time.sleep(60)" >"$TMP/held" &
RP=$!
check "summaries held: h5py holds the store" wait_for 30 grep -q held "$TMP/held"
kill -TERM "$HP"
wait "$HP"
rc=$?
check "summaries held: still exit 3 (got $rc)" test "$rc" -eq 3
check "summaries held: says the resumed sweep writes them" \
  grep -q "^lesde: the summaries were not written ($H: .*); the resumed sweep writes them$" "$TMP/h.err"
check "summaries held: no lock left" test ! -e "$H.lock"
kill "$RP"
wait "$RP" 2>/dev/null
finish
