#!/usr/bin/env bash
# A lesde run replayed in PyTorch from its file alone gives the same mean
# logits at every checkpoint (relative difference <= 1e-12 over 1,000 steps:
# both are float64; only the order of the additions differs; ~1e-14 seen),
# on every kernel path this CPU runs.
source "$(dirname "$0")/lib.sh"
for path in avx512 avx2 c; do
  # Skipped only when lesde says this CPU (or build) cannot run the path, not when the
  # path fails in some other way (a NaN, a crash): that is a failure.
  LESDE_KERNELS=$path "$LESDE" status "$TMP/none.h5" >/dev/null 2>"$TMP/path.err"
  if grep -Eq "LESDE_KERNELS=$path: (this CPU cannot run it|not a kernel path of this build)" "$TMP/path.err"; then
    echo "kernel path $path: not run on this CPU"
    continue
  fi
  expect_exit 0 "train --save-data ($path)" env LESDE_KERNELS=$path "$LESDE" train --quiet \
    --save-data --iters 1000 --train-per-class 50 --val-per-class 30 --checkpoints 21 \
    --log-spacing --val-checkpoints 6 --probe-per-class 10 --seed 3 --p-err 0.2 \
    --out "$TMP/run-$path.h5"
  check "the file says $path" sh -c "h5dump -a /cnn_kernels '$TMP/run-$path.h5' | grep -q '\"$path\"'"
  if /usr/bin/python3 "$ROOT/tests/replay_torch.py" "$TMP/run-$path.h5" 1e-12; then ok
  else bad "PyTorch replay of the $path path differs"; fi
done
finish
