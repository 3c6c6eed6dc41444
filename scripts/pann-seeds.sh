#!/bin/sh
# make pann-seeds: PANN's headline result, reproduced over seeds. For each
# seed S: a fresh LeNet-5 (powerprune train, 5 epochs, seed S), then `pann qat`
# at the 2-bit budget with its defaults (its own seed too) on power models fitted once
# (`pann fit`); prints each seed's float and PANN test accuracy, the gap, and
# the spread of the gaps. About 2 minutes per seed on 2 cores.
# Environment: SEEDS (default "1 2 3"), BUDGET (2), EPOCHS (5), OUT (a
# temporary folder, removed unless given).
set -eu
BUILD=${1:-build}
PP="$BUILD/powerprune"
SEEDS=${SEEDS:-1 2 3}
BUDGET=${BUDGET:-2}
EPOCHS=${EPOCHS:-5}
if [ -n "${OUT:-}" ]; then mkdir -p "$OUT"; D=$OUT; else D=$(mktemp -d); trap 'rm -rf "$D"' EXIT; fi

# one number out of a JSON document (module util's reader is not a command; python3 is on every Debian)
jnum() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2"; }

"$PP" pann fit --json --out "$D/pw.json" >"$D/fit.json" 2>"$D/fit.log"
printf '%-6s %10s %10s %8s %10s\n' seed float_pct pann_pct gap act_bits
gaps=""
for s in $SEEDS; do
  "$PP" train --model lenet5 --data fashion-mnist --epochs "$EPOCHS" --seed "$s" -o "$D/l5_$s.ppnn" --json \
    >"$D/train_$s.json" 2>"$D/train_$s.log"
  "$PP" pann qat --model-file "$D/l5_$s.ppnn" --power "$D/pw.json" --budget-bits "$BUDGET" \
    --save "$D/l5_pann_$s.ppnn" --json >"$D/qat_$s.json" 2>"$D/qat_$s.log"
  f=$(jnum "$D/qat_$s.json" float_test_acc_pct)
  a=$(jnum "$D/qat_$s.json" after.test_acc_pct)
  b=$(jnum "$D/qat_$s.json" after.act_bits)
  g=$(python3 -c "print(round($a - $f, 2))")
  gaps="$gaps $g"
  printf '%-6s %10s %10s %8s %10s\n' "$s" "$f" "$a" "$g" "$b"
done
python3 -c "import sys; g=[float(x) for x in sys.argv[1:]]; print('pann-seeds: gap to float min %.2f, max %.2f, spread %.2f points over %d seeds (budget $BUDGET bits)' % (min(g), max(g), max(g)-min(g), len(g)))" $gaps
