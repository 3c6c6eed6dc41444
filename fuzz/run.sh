#!/bin/sh
# Fuzzes every file reader of the project with libFuzzer (clang), niced.
#   sh fuzz/run.sh [SECONDS_PER_TARGET] [READER...]   (default 600 s, all readers)
#   FUZZ_RUNS=N sh fuzz/run.sh 0                       N inputs per target, seed 1:
#                                                      the same inputs every time (CI)
# Builds fuzz/build (CMake, -DPP_FUZZ=ON: ASan+UBSan, checksums skipped) with one
# binary fuzz_<reader> per reader of fuzz/fuzz_readers.c. Each corpus starts from
# the seed files tests/util/test_fuzz_readers writes (real files made by the
# project's own writers), the data files and tests/netlist/corpus; new inputs stay
# in fuzz/build/corpus_<reader>, crashes land in fuzz/build/ as crash-*. No
# -max_len: libFuzzer takes the largest seed's size, so whole real files mutate.
# Exit status: non-zero when a target found a crash, a leak or a timeout.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-600}
[ $# -gt 0 ] && shift
readers=${*:-"liberty verilog idx cifar model onnx stats delay power pann summary values json"}
out=fuzz/build
CC=${CC:-clang}
cmake -S . -B "$out" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPP_FUZZ=ON -DPP_WERROR=OFF >/dev/null
targets=""
for r in $readers; do targets="$targets fuzz_$r"; done
make --no-print-directory -C "$out" -j"$(nproc)" test_fuzz_readers $targets >/dev/null
rm -rf "$out/seeds"
PP_FUZZ_SEEDS_OUT="$(pwd)/$out/seeds" "$out/test_fuzz_readers" >/dev/null 2>&1 || true
status=0
for r in $readers; do
  c="$out/corpus_$r"
  mkdir -p "$c"
  [ -d "$out/seeds/$r" ] && cp "$out/seeds/$r/"* "$c/"
  [ -d "fuzz/corpus/$r" ] && cp "fuzz/corpus/$r/"* "$c/"
  case $r in
    liberty) for f in tests/netlist/corpus/lib/* tests/netlist/fixtures/small.lib data/pp_cells.lib; do
               [ -f "$f" ] && cp "$f" "$c/"; done ;;
    verilog) for f in tests/netlist/corpus/v/*; do [ -f "$f" ] && cp "$f" "$c/"; done ;;
  esac
  dict=""
  [ -f "fuzz/$r.dict" ] && dict="-dict=fuzz/$r.dict"
  if [ -n "${FUZZ_RUNS:-}" ]; then
    limit="-runs=$FUZZ_RUNS -seed=1"
    echo "fuzz_$r: $FUZZ_RUNS inputs"
  else
    limit="-max_total_time=$secs"
    echo "fuzz_$r: $secs s"
  fi
  # shellcheck disable=SC2086
  if ! nice -n 15 "$out/fuzz_$r" $dict $limit -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$out/$r-" -print_final_stats=1 "$c" >"$out/fuzz_$r.log" 2>&1; then
    status=1
    tail -40 "$out/fuzz_$r.log"
  else
    grep -E "^(stat::number_of_executed_units|Done)" "$out/fuzz_$r.log" || true
  fi
done
exit $status
