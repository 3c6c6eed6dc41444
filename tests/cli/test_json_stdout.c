/* One JSON convention (issue 17): with --json every subcommand prints exactly
 * one JSON object on stdout and nothing else (human text and progress go to
 * stderr), whose "format" is "powerprune-<kind>/<version>"; and every JSON
 * file the commands write carries such a format too. The commands run in
 * the order the README uses them, on the synthetic data set and small sizes,
 * each using what an earlier one wrote. (`run --json` and `report --json`
 * are checked by test_run, which has a run folder.) eval and pann quantize
 * also say on stderr how far they are. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/util.h"
#include "pp/util_json.h"
#include "pp_test.h"

static char dir[512];
static regex_t format_re;

static int setup(void **st) {
  (void)st;
  if (regcomp(&format_re, "^powerprune-[a-z0-9-]+/[0-9]+$", REG_EXTENDED | REG_NOSUB)) return -1;
  return pp_test_tmpdir(dir, sizeof dir, "pp_json_stdout");
}

static int teardown(void **st) {
  (void)st;
  regfree(&format_re);
  return pp_test_rmtree(dir);
}

/* v's "format" is a valid one (and, when kind is not NULL, "powerprune-<kind>/1"); what names the document. */
static void check_format(const pp_jv *v, const char *kind, const char *what) {
  if (v->type != PP_JV_OBJ) fail_msg("%s: not a JSON object", what);
  const char *f = pp_jv_str(v, "format", NULL);
  if (!f) fail_msg("%s: no \"format\" string", what);
  if (regexec(&format_re, f, 0, NULL, 0)) fail_msg("%s: format \"%s\" is not powerprune-<kind>/<version>", what, f);
  if (kind) {
    char want[96];
    snprintf(want, sizeof want, "powerprune-%s/1", kind);
    if (strcmp(f, want)) fail_msg("%s: format \"%s\", expected \"%s\"", what, f, want);
  }
}

/* Runs `powerprune args... --json` in dir: exit 0, stdout exactly one JSON object of format kind. */
static void json_cmd(const char *kind, const char *const *args) {
  const char *argv[64];
  int n = 0;
  while (args[n]) {
    argv[n] = args[n];
    n++;
  }
  argv[n++] = "--json";
  argv[n] = NULL;
  char *out = NULL;
  int rc = pp_test_cliv(dir, &out, argv);
  if (rc) {
    char *err = pp_test_slurp(pp_test_path(dir, "stderr.txt"));
    fail_msg("powerprune %s %s exited %d:\n%s", args[0], args[1] ? args[1] : "", rc, err ? err : "");
  }
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  /* the reader is strict: text before or after the one value is an error */
  if (pp_jv_parse(out, "stdout", &v, &e))
    fail_msg("powerprune %s --json: stdout is not exactly one JSON document (%s at %d:%d):\n%.300s", args[0],
             e.msg, e.line, e.col, out);
  char what[128];
  snprintf(what, sizeof what, "powerprune %s --json stdout", args[0]);
  check_format(&v, kind, what);
  pp_jv_free(&v);
  free(out);
}

/* The last command's stderr holds s: commands of many seconds report progress there, also when stderr is a
 * file (no terminal, so no ETA), and nothing of it reaches stdout. */
static void stderr_has(const char *s) {
  char *err = pp_test_slurp(pp_test_path(dir, "stderr.txt"));
  assert_non_null(err);
  if (!strstr(err, s)) fail_msg("stderr lacks \"%s\":\n%s", s, err);
  free(err);
}

static int n_json_files;
static int check_json_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  size_t len = strlen(path);
  if (flag != FTW_F || len < 5 || strcmp(path + len - 5, ".json")) return 0;
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  if (pp_jv_load(path, &v, &e)) fail_msg("%s: not JSON: %s", path, e.msg);
  check_format(&v, NULL, path);
  pp_jv_free(&v);
  n_json_files++;
  return 0;
}

static void test_every_json_command(void **st) {
  (void)st;
#define P(name) pp_test_path(dir, name)
#define RUN(kind, ...)                                  \
  do {                                                  \
    const char *const a_[] = {__VA_ARGS__, NULL};       \
    json_cmd(kind, a_);                                 \
  } while (0)
  RUN("train", "train", "--model", "lenet5", "--data", "synthetic", "--train-limit", "200", "--epochs", "1", "--seed",
      "1", "-o", P("m.ppnn"));
  RUN("eval", "eval", "--model-file", P("m.ppnn"), "--data", "synthetic");
  stderr_has("powerprune eval: done in");
  RUN("trace", "trace", "--model-file", P("m.ppnn"), "--data", "synthetic", "--images", "2", "--array", "32", "-o",
      P("stats"));
  /* a MAC to check */
  {
    const char *const a[] = {"mac", "generate", "-o", P("mac.v"), NULL};
    assert_int_equal(pp_test_cliv(dir, NULL, a), 0);
  }
  RUN("mac-check", "mac", "check", P("mac.v"));
  RUN("sta", "sta");
  RUN("sim", "sim", "--set", "w=-105", "--from", "a=3", "--to", "a=200");
  RUN("power", "characterize", "--trace", P("stats/array_stats.bin"), "--transitions", "20", "-o", P("hw"));
  RUN("timing", "timing", "--tick-ps", "10", "-o", P("hw"));
  RUN("select", "select", "--power", P("hw/power.json"), "--power-keep", "32", "--delay", P("hw/delay.bin"),
      "--delay-ps", "260", "-o", P("sel"));
  RUN("estimate", "estimate", "--trace", P("stats/array_stats.bin"), "--power", P("hw/power.json"), "--delay",
      P("hw/delay.bin"), "--allowed-weights", P("sel/weights.txt"), "--allowed-acts", P("sel/acts.txt"), "-o",
      P("est"));
  RUN("pann-power", "pann", "fit", "--samples", "60", "--out", P("pw.json"));
#define PANN_SMALL "--data", "synthetic", "--power", P("pw.json"), "--calib", "50", "--val", "50", "--test", "50", \
                   "--energy-images", "1", "--trace-images", "1", "--alloc", "uniform"
  RUN("pann-quantize", "pann", "quantize", "--model-file", P("m.ppnn"), PANN_SMALL, "--budget-bits", "4",
      "--act-bits", "4");
  stderr_has("powerprune pann quantize: planning R for");
  stderr_has("powerprune pann quantize: done");
  RUN("pann-compare", "pann", "compare", "--model-file", P("m.ppnn"), PANN_SMALL, "--pann-act-bits", "4", "--out",
      P("cmp"));
  RUN("pann-accum", "pann", "accum", "--model-file", P("m.ppnn"), "--data", "synthetic", "--images", "1",
      "--transitions", "100");
  RUN("pann-qat", "pann", "qat", "--model-file", P("m.ppnn"), PANN_SMALL, "--budget-bits", "4", "--act-bits", "4",
      "--steps", "5", "--probe-steps", "0", "--save", P("q.ppnn"));
  if (access("/usr/bin/sta", X_OK) == 0) RUN("check-power", "check", "power", "--transitions", "20");
#undef PANN_SMALL
#undef RUN
#undef P
  /* every JSON file they wrote has a format too */
  n_json_files = 0;
  assert_int_equal(nftw(dir, check_json_file, 16, FTW_PHYS), 0);
  assert_true(n_json_files >= 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_json_command)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
