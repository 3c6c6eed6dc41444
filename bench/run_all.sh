#!/bin/sh
# make bench: every benchmark in turn (or those named in $BENCHES), each
# one's full output kept in BUILD/bench-NAME.log, then one table with the
# line of each that states its result against its peer.
# Usage: bench/run_all.sh BUILD_DIR   (BENCHES="mac timing char dta trace check nn")
BUILD=${1:-build}
BENCHES=${BENCHES:-"mac timing char dta trace check nn"}
pick() { # the result line(s) of one benchmark's log
  case $1 in
    mac) grep '^bench-mac:' "$2" ;;
    timing) grep '^weight ' "$2" ;;
    char) grep '^char:' "$2" ;;
    dta) grep '^dta:' "$2" ;;
    nn) grep -E '^(lenet5|resnet20|LeNet|ResNet)' "$2" ;;
    *) tail -n 2 "$2" ;;
  esac
}
fail=0
for b in $BENCHES; do
  log="$BUILD/bench-$b.log"
  echo "== make bench-$b" >&2
  if make --no-print-directory "bench-$b" > "$log" 2>&1; then st=ok; else st="FAILED (exit $?)"; fail=1; fi
  eval "st_$b=\"\$st\""
done
echo
echo "| benchmark | status | result against its peer (full output: $BUILD/bench-NAME.log) |"
echo "|---|---|---|"
for b in $BENCHES; do
  eval "st=\$st_$b"
  pick "$b" "$BUILD/bench-$b.log" | sed "s/|/\\\\|/g" | while IFS= read -r line; do
    echo "| bench-$b | $st | $line |"
  done
done
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); wall-clock figures on a loaded machine are inflated)"
exit $fail
