/* The stated assumptions of the timing commands: `sta --json` records the
 * input slew, output load, wire model and delay model it used, the options
 * change them (and the critical path with them), and bad values are usage
 * errors. Runs the built CLI (env PP_EXE) without a shell. */
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

/* Runs the CLI with args; returns its stdout (caller frees), *code its exit. */
static char *run(const char *const *args, int *code) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  const char *argv[16];
  int n = 0;
  argv[n++] = exe;
  for (; args[n - 1] && n < 15; n++) argv[n] = args[n - 1];
  argv[n] = NULL;
  char out[256];
  snprintf(out, sizeof out, "%s/pp_assume_%d.out", P_tmpdir, (int)getpid());
  pp_err e;
  pp_err_clear(&e);
  pp_run_opts o = {.log_path = out, .stderr_mode = PP_RUN_STDERR_NULL};
  assert_int_equal(pp_run((char *const *)argv, &o, code, &e), PP_OK);
  char *text = NULL;
  size_t len;
  assert_int_equal(pp_read_file(out, &text, &len, &e), PP_OK);
  remove(out);
  return text;
}

static double num_after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  assert_non_null(p);
  return atof(p + strlen(key));
}

static void test_sta_assumptions(void **st) {
  (void)st;
  int code;
  const char *a0[] = {"sta", "--json", NULL};
  char *t0 = run(a0, &code);
  assert_int_equal(code, 0);
  assert_non_null(strstr(t0, "\"assumptions\""));
  /* the built-in library's own figures (data/pp_cells.lib) */
  assert_true(num_after(t0, "\"input_slew_ps\": ") == 8.0);
  assert_true(num_after(t0, "\"output_load_ff\": ") > 0.59 && num_after(t0, "\"output_load_ff\": ") < 0.61);
  assert_non_null(strstr(t0, "\"delay_model\": \"transport\""));
  double crit0 = num_after(t0, "\"critical_path_ps\": ");
  const char *a1[] = {"sta", "--json", "--input-slew", "40", "--output-load", "5", "--wire-cap", "0.5", NULL};
  char *t1 = run(a1, &code);
  assert_int_equal(code, 0);
  assert_true(num_after(t1, "\"input_slew_ps\": ") == 40.0);
  assert_true(num_after(t1, "\"output_load_ff\": ") == 5.0);
  assert_true(num_after(t1, "\"cap_ff\": ") == 0.5);
  /* slower edges and heavier loads: a longer critical path */
  assert_true(num_after(t1, "\"critical_path_ps\": ") > crit0 + 10);
  free(t0);
  free(t1);
  const char *bad[] = {"sta", "--output-load", "-1", NULL};
  free(run(bad, &code));
  assert_int_equal(code, 2);
  const char *bad2[] = {"sta", "--delay-model", "fast", NULL};
  free(run(bad2, &code));
  assert_int_equal(code, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sta_assumptions)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
