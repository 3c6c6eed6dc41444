#!/bin/sh
# make bench-nn: training images/s of LeNet-5 and ResNet-20, our nn engine
# against PyTorch on CPU (Debian's python3-torch), same batch, same threads,
# measured in this run. PyTorch is large and only needed here, so it is not
# in scripts/install-deps.sh: this script installs it with apt-get when run as
# root (set PP_BENCH_NO_INSTALL=1 to skip), otherwise it reports ours alone.
# Environment: THREADS (default 2), BATCH (64), LENET_STEPS (200), RESNET_STEPS (10),
# OMP_WAIT_POLICY (passive), CONTEND (1: also measure both beside one competing CPU-bound process).
set -eu
BUILD=${1:-build}
HERE=$(dirname "$0")
THREADS=${THREADS:-2}
BATCH=${BATCH:-64}
LS=${LENET_STEPS:-200}
RS=${RESNET_STEPS:-10}
# nn keeps OpenBLAS serial and splits work over OpenMP threads itself (one
# pool); PyTorch gets the same thread count through torch.set_num_threads.
# OMP_WAIT_POLICY=passive (the default here) lets an idle OpenMP thread sleep
# instead of spinning: on a shared, loaded machine spinning threads steal the
# CPU their partners need (measured: 2.3x more CPU for less throughput).
export OMP_NUM_THREADS="$THREADS" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"

# Debian's python3-torch belongs to Debian's interpreter, not to a pyenv one on PATH.
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "${PYTHON:-}" ] && PY=/usr/bin/python3
have_torch() { "$PY" -c 'import torch' >/dev/null 2>&1; }
if ! have_torch && [ -z "${PP_BENCH_NO_INSTALL:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench-nn: installing python3-torch (PyTorch peer, bench only) ..." >&2
  apt-get install -y python3-torch >/dev/null 2>&1 || echo "bench-nn: apt-get install python3-torch failed" >&2
fi

# One table: ours and PyTorch measured back to back under the same conditions.
table() {
OURS=$("$BUILD/bench_nn" "$BATCH" "$LS" "$RS")
if have_torch; then
  PEER=$("$PY" "$HERE/bench_nn_torch.py" "$BATCH" "$THREADS" "$LS" "$RS")
else
  echo "bench-nn: PyTorch not available (python3-torch); peer column skipped" >&2
  PEER=""
fi
printf '%-10s %12s %12s %7s   %14s %14s %7s\n' model "ours img/s" "torch img/s" ratio "ours img/cpu-s" "torch img/cpu-s" ratio
echo "$OURS" | while read -r model b t ips cps; do
  p=$(echo "$PEER" | awk -v m="$model" '$1 == m { print $4 }')
  pc=$(echo "$PEER" | awk -v m="$model" '$1 == m { print $5 }')
  if [ -n "$p" ]; then
    r=$(awk -v a="$ips" -v b="$p" 'BEGIN { printf "%.2f", a / b }')
    rc=$(awk -v a="$cps" -v b="$pc" 'BEGIN { printf "%.2f", a / b }')
  else
    p="-"; r="-"; pc="-"; rc="-"
  fi
  printf '%-10s %12s %12s %7s   %14s %14s %7s\n' "$model" "$ips" "$p" "$r" "$cps" "$pc" "$rc"
done
}

echo "bench-nn: training images/s, batch $BATCH, $THREADS threads, OMP_WAIT_POLICY=$OMP_WAIT_POLICY (Adam; LeNet-5 28x28, ResNet-20 32x32)"
table
# A busy machine: the same measurement with one competing CPU-bound process of our own (bounded by timeout, killed
# at the end), so that a training loop that spins or oversubscribes shows up as a lower ratio (CONTEND=0 skips it).
if [ "${CONTEND:-1}" != 0 ]; then
  timeout 1800 sh -c 'while :; do :; done' &
  HOG=$!
  trap 'kill "$HOG" 2>/dev/null || true' EXIT
  echo "bench-nn: the same with one competing CPU-bound process running"
  table
  kill "$HOG" 2>/dev/null || true
fi
echo "(ratio = powerprune / pytorch; > 1 means faster than PyTorch. img/s is wall time; img/cpu-s"
echo " divides by the process CPU time of all threads, which a loaded machine disturbs less)"
