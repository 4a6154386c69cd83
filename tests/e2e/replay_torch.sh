#!/usr/bin/env bash
# A lesde run replayed in PyTorch from its file alone gives the same mean
# logits at every checkpoint (relative difference <= 1e-8 over 1,000 steps:
# both are float64; only the order of the additions differs).
source "$(dirname "$0")/lib.sh"
expect_exit 0 "train --save-data" "$LESDE" train --quiet --save-data --iters 1000 \
  --train-per-class 50 --val-per-class 30 --checkpoints 21 --log-spacing \
  --val-checkpoints 6 --probe-per-class 10 \
  --seed 3 --p-err 0.2 --out "$TMP/run.h5"
if /usr/bin/python3 "$ROOT/tests/replay_torch.py" "$TMP/run.h5" 1e-8; then ok
else bad "PyTorch replay differs"; fi
finish
