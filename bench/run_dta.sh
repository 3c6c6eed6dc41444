#!/bin/sh
# make bench-dta: dynamic timing analysis of the default 8-bit multiplier,
# our engines against Icarus Verilog in the same run (see bench/bench_dta.c).
# Usage: bench/run_dta.sh BUILD_DIR [WEIGHT [ICARUS_TRANSITIONS]]
set -e
BUILD=${1:-build}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
nice -n 5 "$BUILD/bench_dta" ${2:-93} ${3:-3000}
