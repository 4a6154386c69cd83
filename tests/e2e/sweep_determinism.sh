#!/usr/bin/env bash
# The smoke spec on 1 process (no mpirun), 2 and 3 ranks gives identical
# task data (every dataset but the timing fields), and a complete store;
# so do Fashion-MNIST tasks (tests/specs/fashion.ini) on 1 and 2 ranks.
# One process runs the queue in order: among tasks of equal cost, seed by
# seed (every grid point of a seed, then the next). A store made study by
# study (sweep --study) is the same too.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
expect_exit 0 "sweep, one process" "$LESDE" sweep "$SPEC" --store "$TMP/n1.h5" --quiet
expect_exit 0 "sweep, 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$TMP/n2.h5" --quiet
expect_exit 0 "sweep, 3 ranks" "${MPIRUN[@]}" -n 3 "$LESDE" sweep "$SPEC" --store "$TMP/n3.h5" --quiet
# without the data cache (src/data/cache.c): the same bytes
expect_exit 0 "sweep, no data cache" env LESDE_DATA_CACHE_MB=0 "$LESDE" sweep "$SPEC" \
  --store "$TMP/n0.h5" --quiet
expect_exit 0 "status" "$LESDE" status "$TMP/n2.h5"
check "all done" grep -q "total: .* 0 failed, 0 pending" "$TMP/out"
check "1 vs 2 ranks equal" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/n1.h5" "$TMP/n2.h5"
check "1 vs 3 ranks equal" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/n1.h5" "$TMP/n3.h5"
check "data cache off equal" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/n1.h5" "$TMP/n0.h5"
# --study: one study's tasks, the other's left pending; a second pass runs
# those, and a sweep without it then finds nothing to run; the store is the
# one sweep's. An unknown name is a usage error naming the spec's studies.
expect_exit 0 "sweep --study train" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --study train \
  --store "$TMP/st.h5"
check "--study train: says what it left" grep -q "^lesde: smoke: 10 tasks of the other studies left as they are (--study)" "$TMP/err"
expect_exit 0 "status after --study train" "$LESDE" status "$TMP/st.h5"
check "--study train: train done, sde pending" bash -c "grep -Eq '^  train +train +10 done +0 failed +0 pending' '$TMP/out' &&
  grep -Eq '^  sde +sde +0 done +0 failed +10 pending' '$TMP/out'"
expect_exit 0 "sweep --study sde,train" "$LESDE" sweep "$SPEC" --study sde,train --store "$TMP/st.h5"
check "--study sde,train: the 10 sde tasks run" grep -q "^lesde: smoke: 20 tasks of the chosen studies, 10 done, 0 failed, 10 to run" "$TMP/err"
expect_exit 0 "sweep after --study" "$LESDE" sweep "$SPEC" --store "$TMP/st.h5"
check "then nothing to run" grep -q "^lesde: smoke: 20 tasks, 20 done, 0 failed, 0 to run" "$TMP/err"
check "--study passes equal one sweep" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/n1.h5" "$TMP/st.h5"
expect_exit 2 "--study an unknown name" "$LESDE" sweep "$SPEC" --study train,gamma --store "$TMP/su.h5"
check "--study gamma: names the spec's studies" grep -q "^lesde: sweep: --study: no study 'gamma' in .*smoke.ini (its studies: sde, train)$" "$TMP/err"
expect_exit 2 "--study an unknown name, 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --study gamma --store "$TMP/su.h5"
check "--study unknown: no store made" test ! -e "$TMP/su.h5"
expect_exit 0 "--study sde --dry-run" "$LESDE" sweep "$SPEC" --study sde --dry-run
check "--dry-run --study sde: that study alone" bash -c "grep -q '20 tasks, 10 of them in the studies --study names' '$TMP/out' &&
  grep -q '^  study sde ' '$TMP/out' && ! grep -q '^  study train ' '$TMP/out'"
# One store, one arithmetic: a store of the vector kernels (avx512 or avx2,
# the same bytes) refuses ranks on the c kernels (other last bits), on
# resume and among the ranks of a new store; avx2 resumes an avx512 store.
expect_exit 0 "sweep --study train (the default kernels)" "$LESDE" sweep "$SPEC" --study train \
  --store "$TMP/k.h5" --quiet
kern=$(/usr/bin/python3 -c "import h5py; a = h5py.File('$TMP/k.h5', 'r').attrs['cnn_kernels']; print(a.decode() if isinstance(a, bytes) else a)")
if [ "$kern" != c ]; then
  expect_exit 2 "resumed on the c kernels" env LESDE_KERNELS=c "$LESDE" sweep "$SPEC" --store "$TMP/k.h5"
  check "c kernels: says why" grep -q "^lesde: .*k.h5: its results are of the $kern CNN kernels, and rank 0 runs the c ones" "$TMP/err"
  expect_exit 0 "resumed on avx2" env LESDE_KERNELS=avx2 "$LESDE" sweep "$SPEC" --store "$TMP/k.h5" --quiet
  check "avx2 resume equals one sweep" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/n1.h5" "$TMP/k.h5"
  expect_exit 2 "ranks on two kinds of kernels" "${MPIRUN[@]}" -n 1 "$LESDE" sweep "$SPEC" --store "$TMP/k2.h5" \
    --quiet : -n 1 env LESDE_KERNELS=c "$LESDE" sweep "$SPEC" --store "$TMP/k2.h5" --quiet
  check "two kinds: says so" grep -q "k2.h5: rank 0 runs the avx512 or avx2 CNN kernels and rank 1 the c ones" "$TMP/err"
  check "two kinds: no store made" test ! -e "$TMP/k2.h5"
else
  echo "sweep_determinism: this CPU runs the c kernels only: the kernel-kind checks skipped" >&2
fi
# Fashion-MNIST: one process reads Debian's files once and takes them from
# its cache for the next 5 tasks; 2 ranks and no cache give the same bytes
FSPEC=$ROOT/tests/specs/fashion.ini
expect_exit 0 "fashion, one process" "$LESDE" sweep "$FSPEC" --store "$TMP/f1.h5" --quiet
expect_exit 0 "fashion, 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$FSPEC" --store "$TMP/f2.h5" \
  --quiet
expect_exit 0 "fashion, no data cache" env LESDE_DATA_CACHE_MB=0 "$LESDE" sweep "$FSPEC" \
  --store "$TMP/f0.h5" --quiet
check "fashion: 1 vs 2 ranks equal" /usr/bin/python3 "$ROOT/tests/compare_stores.py" \
  "$TMP/f1.h5" "$TMP/f2.h5"
check "fashion: data cache off equal" /usr/bin/python3 "$ROOT/tests/compare_stores.py" \
  "$TMP/f1.h5" "$TMP/f0.h5"
check "one process: the train tasks finished seed by seed" /usr/bin/python3 -c "
import h5py, numpy as np, sys
t = h5py.File('$TMP/n1.h5', 'r')['study']['train']
fin = np.asarray(t['finished_at']).ravel()
n_seeds = t['seed'].shape[0]
ids = np.argsort(fin, kind='stable')
order = [(i % n_seeds, i // n_seeds) for i in ids]  # (seed index, grid point)
print(order, file=sys.stderr)
sys.exit(0 if order == sorted(order) and len(set(fin)) == len(fin) else 1)"
# The 3-rank run did use every rank.
check "3 ranks all worked" /usr/bin/python3 -c "
import h5py, numpy as np, sys
f = h5py.File('$TMP/n3.h5', 'r')
ranks = set()
for s in f['study']:
    ranks |= set(np.asarray(f['study'][s]['rank']).ravel().tolist())
sys.exit(0 if {0, 1, 2} <= ranks else 1)"
finish
