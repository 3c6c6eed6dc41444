#!/bin/sh
# Checks the module layering of docs/DEVELOPING.md: a module's sources and
# public header include only the public headers of modules below it (or its
# own). Run by ctest as test_layering; prints each violation.
set -u
root=${1:-$(dirname "$0")/..}
order="util plot netlist sim nn array characterize select estimate pann retrain report flow cli"
rank() { # module name -> position in $order, or empty
  i=0
  for m in $order; do
    [ "$m" = "$1" ] && { echo $i; return; }
    i=$((i + 1))
  done
}
bad=0
check() { # file, module it belongs to
  f=$1; mod=$2; r=$(rank "$mod")
  [ -n "$r" ] || { echo "layering: $f: module '$mod' is not in the order list (docs/DEVELOPING.md)"; bad=1; return; }
  grep -n '#include *"pp/' "$f" | while IFS= read -r line; do
    hdr=$(echo "$line" | sed 's/.*"pp\/\([a-z0-9_]*\)\.h".*/\1/')
    dep=${hdr%%_*}
    dr=$(rank "$dep")
    if [ -z "$dr" ]; then
      echo "layering: $f:${line%%:*}: pp/$hdr.h belongs to no known module"
      echo x >> "$tmp"
    elif [ "$dr" -gt "$r" ]; then
      echo "layering: $f:${line%%:*}: module '$mod' may not include pp/$hdr.h (module '$dep' is above it)"
      echo x >> "$tmp"
    fi
  done
}
tmp=$(mktemp)
for f in "$root"/src/*/*.c "$root"/src/*/*.h; do
  [ -e "$f" ] || continue
  mod=$(basename "$(dirname "$f")")
  check "$f" "$mod"
done
for f in "$root"/include/pp/*.h; do
  [ -e "$f" ] || continue
  h=$(basename "$f" .h)
  check "$f" "${h%%_*}"
done
[ -s "$tmp" ] && bad=1
rm -f "$tmp"
[ $bad = 0 ] && echo "layering: ok"
exit $bad
