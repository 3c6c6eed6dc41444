#!/bin/sh
# Checks the module layering of docs/DEVELOPING.md: a module's sources and
# public header include only the public headers of modules below it (or its
# own). Run by ctest as test_layering; prints each violation.
set -u
root=${1:-$(dirname "$0")/..}
order="util plot liberty netlist verilog macgen sim nn interop array characterize select estimate pann retrain report flow cli"
# One awk pass over every file: the module of a file is its src/ directory
# or, for include/pp/<m>[_x].h, <m>.
grep -Hn '#include *"pp/' "$root"/src/*/*.c "$root"/src/*/*.h "$root"/include/pp/*.h 2>/dev/null |
awk -v order="$order" '
BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) rank[o[i]] = i; bad = 0 }
{
  split($0, parts, ":"); file = parts[1]; line = parts[2]
  nf = split(file, p, "/"); dir = p[nf - 1]; base = p[nf]
  if (dir == "pp") { mod = base; sub(/\.h$/, "", mod); sub(/_.*/, "", mod) } else mod = dir
  hdr = $0; sub(/.*"pp\//, "", hdr); sub(/\.h".*/, "", hdr); dep = hdr; sub(/_.*/, "", dep)
  if (!(mod in rank)) { printf "layering: %s: module %s is not in the order list (docs/DEVELOPING.md)\n", file, mod; bad = 1 }
  else if (!(dep in rank)) { printf "layering: %s:%s: pp/%s.h belongs to no known module\n", file, line, hdr; bad = 1 }
  else if (rank[dep] > rank[mod]) { printf "layering: %s:%s: module %s may not include pp/%s.h (module %s is above it)\n", file, line, mod, hdr, dep; bad = 1 }
}
END { if (!bad) print "layering: ok"; exit bad }'
