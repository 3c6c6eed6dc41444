#!/bin/sh
# ctest test_install: `cmake --install` into a temporary prefix, then check
# that the installed binary reads the cell library from PREFIX/share/powerprune
# (a deliberately broken copy there must be the file its error names), and
# that PP_DATA_DIR overrides it.
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
exe=$tmp/prefix/bin/powerprune
test -x "$exe"
test -f "$tmp/prefix/share/powerprune/pp_cells.lib"
test -f "$tmp/prefix/include/pp/netlist.h"
cd "$tmp"
"$exe" sta --json > ok.json 2> ok.err || { echo "installed sta failed:"; cat ok.err; exit 1; }
grep -q '"lib": ".*/share/powerprune/pp_cells.lib"' ok.json || { echo "sta did not use the installed library:"; grep '"lib"' ok.json; exit 1; }
printf 'library (broken) { cell ( \n' > "$tmp/prefix/share/powerprune/pp_cells.lib"
if "$exe" sta --json > bad.json 2> bad.err; then echo "sta accepted a broken installed library"; exit 1; fi
grep -q "share/powerprune/pp_cells.lib" bad.err || { echo "error does not name the installed library:"; cat bad.err; exit 1; }
mkdir data
cp "$(dirname "$0")/../data/pp_cells.lib" data/
PP_DATA_DIR=$tmp/data "$exe" sta --json > env.json 2> env.err || { echo "PP_DATA_DIR not honoured:"; cat env.err; exit 1; }
grep -q "\"lib\": \"$tmp/data/pp_cells.lib\"" env.json || { echo "PP_DATA_DIR not used:"; grep '"lib"' env.json; exit 1; }
grep -v '"lib"' ok.json > ok2.json; grep -v '"lib"' env.json > env2.json
cmp -s ok2.json env2.json || { echo "PP_DATA_DIR gave another result"; exit 1; }
echo "test_install: installed binary uses PREFIX/share/powerprune; PP_DATA_DIR overrides"
