/* Bad options and non-physical inputs are refused up front with one clear
 * message and a non-zero exit, before any training (issue 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/util.h"

static char g_dir[512];

static int setup(void **st) {
  (void)st;
  snprintf(g_dir, sizeof g_dir, "%s/test_strict_%ld", PP_BINARY_DIR, (long)getpid());
  pp_err e;
  pp_err_clear(&e);
  if (pp_mkdirs(g_dir, &e)) return -1;
  char p[600];
  snprintf(p, sizeof p, "%s/neg.lib", g_dir);
  FILE *f = fopen(p, "w");
  if (!f) return -1;
  fputs("library(x) {\n cell(A) {\n  pin(I){ direction : input;\n capacitance : -1; }\n }\n}\n", f);
  return fclose(f);
}

static int teardown(void **st) {
  (void)st;
  char *argv[] = {"rm", "-rf", g_dir, NULL};
  return pp_run(argv, NULL, NULL, NULL);
}

/* Runs the CLI in g_dir; returns its exit status, its stderr in log. */
static int cli(char **args, char *log, size_t n) {
  char lp[600];
  snprintf(lp, sizeof lp, "%s/cli.log", g_dir);
  pp_run_opts o = {.cwd = g_dir, .log_path = lp, .stderr_mode = PP_RUN_STDERR_MERGE};
  int code = -1;
  assert_int_equal(pp_run(args, &o, &code, NULL), PP_OK);
  char *d = NULL;
  assert_int_equal(pp_read_file(lp, &d, NULL, NULL), PP_OK);
  snprintf(log, n, "%s", d);
  free(d);
  return code;
}

static void test_refused(void **st) {
  (void)st;
  char *exe = getenv("PP_EXE");
  if (!exe) skip();
  struct {
    char *args[8];
    const char *expect;
  } cases[] = {
      {{exe, "train", "--lr", "inf", NULL}, "--lr"},
      {{exe, "train", "--momentum", "nan", NULL}, "--momentum"},
      {{exe, "run", "--lib", "neg.lib", "--out", "o", NULL}, "neg.lib:4: 'capacitance' is -1"},
      {{exe, "mac", "generate", "--lib", "neg.lib", "-o", "m.v", NULL}, "'capacitance' is -1"},
      {{exe, "run", "--lib", "/nonexistent.lib", "--out", "o", NULL}, "/nonexistent.lib: No such file"},
      {{exe, "run", "--lib", ".", "--out", "o", NULL}, "not a regular file"},
      {{exe, "run", "--array", "513", "--out", "o", NULL}, "--array must be a whole number in 1..512, not '513'"},
      {{exe, "run", "--delay-step", "0", "--out", "o", NULL}, "--delay-step must be a finite number > 0, not '0'"},
      {{exe, "run", "--tick-ps", "0", "--out", "o", NULL}, "--tick-ps must be a finite number > 0, not '0'"},
      {{exe, "run", "--tolerance", "nan", "--out", "o", NULL}, "--tolerance must be a finite number >= 0, not 'nan'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char log[4096];
    int code = cli(cases[i].args, log, sizeof log);
    if (code == 0 || !strstr(log, cases[i].expect))
      fail_msg("%s %s %s: exit %d, log \"%s\", want \"%s\"", cases[i].args[1], cases[i].args[2], cases[i].args[3],
               code, log, cases[i].expect);
  }
  /* nothing was started: no run folder */
  char p[600];
  snprintf(p, sizeof p, "%s/o", g_dir);
  assert_int_not_equal(access(p, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_refused)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
