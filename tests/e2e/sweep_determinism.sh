#!/usr/bin/env bash
# The smoke spec on 1 process (no mpirun), 2 and 3 ranks gives identical
# task data (every dataset but the timing fields), and a complete store;
# so do Fashion-MNIST tasks (tests/specs/fashion.ini) on 1 and 2 ranks.
# One process runs the queue in order: among tasks of equal cost, seed by
# seed (every grid point of a seed, then the next).
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
