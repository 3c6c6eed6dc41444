#!/bin/sh
# ctest test_readme_examples: every example command of README.md (the lines of
# its ```sh blocks that start with build/powerprune, `\` continuations joined,
# trailing `# comment` dropped) is run, in README order, in one fresh
# temporary folder in which `build` links to the build dir, so that the
# README's paths work verbatim and each example may use what an earlier one
# wrote. An example whose comment starts with "(long)" is skipped (named on
# stdout); everything else must exit 0, or the test fails with the README line
# and the command's output.
#
# The commands are split into words here and run directly, never handed to a
# shell: an example that needs shell syntax (quotes, $, ;, |, >, globs ...) is
# an error, so what a reader pastes and what this test runs are the same argv.
#
# Usage: sh scripts/test-readme.sh SOURCE_DIR BUILD_DIR
# PP_TEST_KEEP=1 keeps the folder; PP_ASAN=1 (the sanitizer run) skips (77).
set -eu
if [ $# -ne 2 ]; then
  echo "usage: sh scripts/test-readme.sh SOURCE_DIR BUILD_DIR" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
bld=$(cd "$2" && pwd)
readme=$src/README.md

if [ "${PP_ASAN:-0}" = 1 ]; then
  echo "test_readme_examples: skipped under PP_ASAN=1 (the README's examples train networks and"
  echo "simulate the MAC; under the sanitizers that takes far longer than the CI allows)"
  exit 77
fi
test -f "$readme" || { echo "no $readme"; exit 1; }
test -x "$bld/powerprune" || { echo "no $bld/powerprune (build it first)"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pp-readme.XXXXXX")
cleanup() {
  if [ "${PP_TEST_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Extract: one record per example, "LINE<TAB>LONG<TAB>COMMAND" (LINE: where it
# starts in README.md; LONG: 1 when its comment starts with "(long)").
# As sh reads it: a comment ends the physical line (a `\` inside it does not
# continue), and a `\` at the very end joins the next line.
awk '
  BEGIN { inblk = 0; cont = 0 }
  /^```/ {
    if (!inblk && $0 ~ /^```sh[ \t]*$/) { inblk = 1; next }
    if (inblk) {
      if (cont) { printf "%d\t%d\tUNTERMINATED\n", start, lng; cont = 0 }
      inblk = 0; next
    }
  }
  !inblk { next }
  {
    line = $0
    comment = ""
    if (match(line, /(^|[ \t])#/)) {
      comment = substr(line, RSTART + RLENGTH)
      line = substr(line, 1, RSTART - 1)
    }
    sub(/^[ \t]+/, "", comment)
    if (!cont) {
      sub(/^[ \t]+/, "", line)
      if (line !~ /^build\/powerprune([ \t]|$)/) next
      start = NR; cmd = ""; lng = 0
    } else {
      sub(/^[ \t]+/, "", line)
    }
    if (comment ~ /^\(long\)/) lng = 1
    if (comment == "" && line ~ /\\$/) {
      sub(/[ \t]*\\$/, "", line)
      cmd = cmd line " "
      cont = 1
      next
    }
    cmd = cmd line
    sub(/[ \t]+$/, "", cmd)
    printf "%d\t%d\t%s\n", start, lng, cmd
    cont = 0
  }
  END { if (cont) printf "%d\t%d\tUNTERMINATED\n", start, lng }
' "$readme" > "$tmp/examples.tsv"

total=$(wc -l < "$tmp/examples.tsv")
if [ "$total" -eq 0 ]; then
  echo "README.md has no example commands (build/powerprune lines in \`\`\`sh blocks): nothing to test"
  exit 1
fi

mkdir "$tmp/run"
ln -s "$bld" "$tmp/run/build"
# the caches of trained models, delay tables and power models: the test's own
export PP_CACHE_DIR="$tmp/cache"

# now in ms (GNU date's %N; whole seconds elsewhere)
now_ms() {
  t=$(date +%s%N)
  case $t in *[!0-9]*) echo $(( $(date +%s) * 1000 )) ;; *) echo $(( t / 1000000 )) ;; esac
}

# run one example: split into words (no globbing), run in the run folder
run_example() {
  cmdline=$1
  set -f
  # shellcheck disable=SC2086  # word splitting is the point here
  set -- $cmdline
  set +f
  (cd "$tmp/run" && exec "$@") < /dev/null > "$tmp/out.log" 2>&1
}

ran=0
skipped=0
t_all=$(now_ms)
tab=$(printf '\t')
while IFS=$tab read -r line long cmd <&3; do
  case $cmd in
    UNTERMINATED)
      echo "README.md:$line: example ends in a \`\\\` continuation with no next line"
      exit 1 ;;
    *[\'\"\\\$\`\;\&\|\<\>\(\)\*\?\[\]\{\}\~]*)
      echo "README.md:$line: example uses shell syntax this test does not run (quotes, \$, ;, |, <, >,"
      echo "globs ...); write it as plain words: $cmd"
      exit 1 ;;
  esac
  if [ "$long" = 1 ]; then
    echo "SKIP  README.md:$line (long): $cmd"
    skipped=$((skipped + 1))
    continue
  fi
  t0=$(now_ms)
  rc=0
  run_example "$cmd" || rc=$?
  t1=$(now_ms)
  ms=$((t1 - t0))
  if [ "$rc" -ne 0 ]; then
    echo "FAIL  README.md:$line: exit status $rc after $((ms / 1000)).$(( (ms % 1000) / 100 )) s: $cmd"
    echo "----- its output (stdout and stderr):"
    cat "$tmp/out.log"
    echo "-----"
    exit 1
  fi
  printf 'ok    README.md:%s  %4d.%d s  %s\n' "$line" $((ms / 1000)) $(( (ms % 1000) / 100 )) "$cmd"
  ran=$((ran + 1))
done 3< "$tmp/examples.tsv"

if [ "$ran" -eq 0 ]; then
  echo "every README example is marked (long): nothing was run"
  exit 1
fi
ms=$(( $(now_ms) - t_all ))
echo "test_readme_examples: $ran README examples passed, $skipped skipped as (long), $((ms / 1000)) s"
