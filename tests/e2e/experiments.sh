#!/usr/bin/env bash
# The experiments' acceptance, on a reduced sweep (tests/specs/experiments.ini)
# that fits the CI budget (~1.5 min on 2 cores):
#  * final validation accuracy, mean of seeds 0-3: >= 0.94 at p_err = 0,
#    within 0.1 of 1/3 at p_err = 2/3, below 1/3 at p_err = 0.8;
#  * at p_err = 0.3, >= 0.92: the acceptance (>= 0.94) is for the 8-seed mean
#    of the quickstart (0.959); seeds 0-3 give 0.944 here, single seeds
#    0.92-0.99, and a build that rounds differently (the ASan pass) takes
#    another SGD path, so the bound is one seed's spread (0.02) lower;
#  * p_hat* (the report's pstar.csv) in [0.6, 0.72], from p_err 0, 0.3,
#    0.6, 2/3, 0.8 (the full grid of ten values adds nothing near p*);
#  * P(pairwise separable) at T = 1e12 over 10 seeds: >= 0.9 for s <= 0.6,
#    <= 0.1 for s >= 1.1;
#  * the sign artefact stays fixed: at p_err = 0, on the seeds whose S(0) < 0
#    (S the mean of <Xbar^k, dhat_k>; two of seeds 0-3), the L-model's final
#    RD from the end of the plateau is below its RD from Xbar(0), which
#    runs away (docs/le-sde.md, section 5);
#  * the report draws Figure 3 and the gamma figure from the same store.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/experiments.ini
expect_exit 0 "reduced experiments sweep" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" \
  --store "$TMP/x.h5" --quiet
check "accuracy and separation as the slides" /usr/bin/python3 - "$TMP/x.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
p = f["study/pollution"]
acc = np.asarray(p["summary/mean/final_val_acc"])
perr = np.asarray(p["p_err"])
print("final accuracy by p_err:", dict(zip(np.round(perr, 4), np.round(acc, 4))))
at = {round(float(q), 4): float(a) for q, a in zip(perr, acc)}
ok = at[0] >= 0.94 and at[0.3] >= 0.92 and abs(at[0.6667] - 1 / 3) <= 0.1 and at[0.8] < 1 / 3
g = f["study/gamma"]
s = np.asarray(g["s"])
psep = np.asarray(g["summary/mean/sep_all"])[..., -1].ravel()  # at T = 1e12
print("P(separable) at T by s:", dict(zip(s, psep)))
ok &= all(psep[s <= 0.6] >= 0.9) and all(psep[s >= 1.1] <= 0.1)
sys.exit(0 if ok else 1)
PY
check "plateau start beats Xbar(0) where S(0) < 0" /usr/bin/python3 - "$TMP/x.h5" <<'PY'
import sys, h5py, numpy as np
p = h5py.File(sys.argv[1], "r")["study/pollution"]
S0 = np.asarray(p["fit/S"])[0, :, 0]                 # p_err = 0: [seed]
L = 1                                                  # L-est/L-ODE
rd = lambda v: np.asarray(p["fit/rd_" + v])[0, :, L, -1, :].mean(axis=-1)
pl, t0 = rd("plateau"), rd("t0")
print("S(0):", S0, "final RD plateau:", pl, "t0:", t0)
neg = S0 < 0
sys.exit(0 if neg.any() and np.all(pl[neg] < t0[neg]) else 1)
PY
expect_exit 0 "report" "$LESDE" report "$TMP/x.h5" --out "$TMP/report" --quiet
for fig in fig3a-pollution fig3cd-pollution fig3final-pollution imit-pollution gamma-gamma; do
  check "report drew $fig" sh -c "ls '$TMP/report/'$fig*.png >/dev/null 2>&1"
done
phat=$(awk -F, '$1 == "pollution" {print $5}' "$TMP/report/pstar.csv")
echo "p_hat* = $phat"
check "p_hat* in [0.6, 0.72]" awk -v p="$phat" 'BEGIN {exit !(p != "" && p >= 0.6 && p <= 0.72)}'

finish
