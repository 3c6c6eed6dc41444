#!/bin/sh
# Fuzzes the Liberty and Verilog readers with libFuzzer (clang), niced.
#   sh fuzz/run.sh [SECONDS_PER_TARGET]        (default 600)
# Builds fuzz/build/fuzz_{liberty,verilog} with ASan+UBSan, seeds from
# tests/netlist/corpus and the project's data files, and leaves new
# inputs in fuzz/build/corpus_*; crashes land in fuzz/build/ as crash-*.
# Copy small interesting inputs into tests/netlist/corpus/ (test_corpus
# parses every file there and requires a clean result).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-600}
out=fuzz/build
mkdir -p "$out"
CC=${CC:-clang}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude -Isrc -DPP_SOURCE_DIR=\"$(pwd)\""
src="src/liberty/*.c src/netlist/*.c src/verilog/*.c src/util/err.c src/util/file.c src/util/rng.c src/util/json.c src/util/progress.c src/util/datadir.c"
for t in liberty verilog; do
  $CC $flags -o "$out/fuzz_$t" "fuzz/fuzz_$t.c" $src -lm -lz
  mkdir -p "$out/corpus_$t"
  case $t in
    liberty) seeds="tests/netlist/corpus/lib tests/netlist/fixtures/small.lib data/pp_cells.lib" ;;
    verilog) seeds="tests/netlist/corpus/v tests/netlist/fixtures/adder2.v" ;;
  esac
  for s in $seeds; do [ -e "$s" ] && cp -r "$s" "$out/corpus_$t/" 2>/dev/null || true; done
  # seed directories must be flat for libFuzzer
  find "$out/corpus_$t" -mindepth 2 -type f -exec cp {} "$out/corpus_$t/" \; 2>/dev/null || true
  dict=""
  [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
  nice -n 15 "$out/fuzz_$t" $dict -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus_$t" 2>&1 | tail -25
done
