#!/usr/bin/env bash
# bench/compare.sh: lesde's CNN training step against the same network and
# loop in PyTorch (bench/torch_peer.py): float64, batch 1, SGD, K=3, one
# 32x32 channel, one thread each. Prints both medians and their ratio
# (wall clock, then thread CPU time).
#
#   bench/compare.sh [lesde bench options]      e.g. --steps 50000
#
# LESDE_BIN (default build/lesde), PYTHON (default /usr/bin/python3, which
# has Debian's python3-torch), TORCH_STEPS (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${LESDE_BIN:-build/lesde}
py=${PYTHON:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

[ -x "$bin" ] || { echo "compare.sh: no lesde binary at $bin (set LESDE_BIN)" >&2; exit 2; }

lesde_out=$("$bin" bench --classes 3 --channels 1 "$@")
torch_out=$("$py" bench/torch_peer.py --k 3 --channels 1 --steps "${TORCH_STEPS:-2000}")

value() { awk -v k="$1" '$1 == k { print $2; exit }'; }
l=$(value lesde_us_per_step <<<"$lesde_out")
t=$(value torch_us_per_step <<<"$torch_out")
[ -n "$l" ] || { echo "compare.sh: no lesde_us_per_step from $bin bench" >&2; exit 1; }
[ -n "$t" ] || { echo "compare.sh: no torch_us_per_step from torch_peer.py" >&2; exit 1; }

echo "lesde_us_per_step $l"
echo "torch_us_per_step $t"
awk -v l="$l" -v t="$t" 'BEGIN { printf "torch_over_lesde %.1f\n", t / l }'
# thread CPU time: the same comparison without the time other jobs took
lc=$(value lesde_us_per_step_cpu <<<"$lesde_out")
tc=$(value torch_us_per_step_cpu <<<"$torch_out")
if [ -n "$lc" ] && [ -n "$tc" ]; then
    echo "lesde_us_per_step_cpu $lc"
    echo "torch_us_per_step_cpu $tc"
    awk -v l="$lc" -v t="$tc" 'BEGIN { printf "torch_over_lesde_cpu %.1f\n", t / l }'
fi
