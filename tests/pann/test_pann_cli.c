/* Tests of `powerprune pann`: fit --json prints, last, one JSON object with
 * the model of every width 2..8 that reads back; --out writes the same file;
 * bad options exit with the usage status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pp/pann.h"

static char *run(const char *args, int *status) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", exe, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += k;
    if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
  }
  buf[n] = 0;
  *status = pclose(p);
  return buf;
}

static void test_fit_json(void **st) {
  (void)st;
  int status;
  char out[512];
  snprintf(out, sizeof out, "%s/pann_cli_power_%d.json", PP_BINARY_DIR, (int)getpid());
  char args[1024];
  snprintf(args, sizeof args, "pann fit --json --samples 200 --out %s", out);
  char *o = run(args, &status);
  assert_int_equal(status, 0);
  /* the last line is the JSON object */
  size_t n = strlen(o);
  assert_true(n > 2 && o[n - 1] == '\n');
  o[n - 1] = 0;
  char *last = strrchr(o, '\n');
  last = last ? last + 1 : o;
  assert_true(last[0] == '{');
  pp_pann_power pw, pf;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_power_parse(last, "stdout", &pw, &e), PP_OK);
  for (int b = 2; b <= 8; b++) {
    assert_true(pw.have[b - 2]);
    assert_true(pw.mult[b - 2].check.n > 0);
  }
  assert_non_null(strstr(last, "\"mean_rel_err\""));
  assert_non_null(strstr(last, "\"claims\""));
  /* the file holds the same models */
  assert_int_equal(pp_pann_power_load(out, &pf, &e), PP_OK);
  for (int b = 2; b <= 8; b++)
    for (int k = 0; k < PP_PANN_MULT_NF; k++) assert_true(pf.mult[b - 2].c[k] == pw.mult[b - 2].c[k]);
  unlink(out);
  /* same seed, same models, byte for byte */
  char *o2 = run("pann fit --json --samples 200", &status);
  assert_int_equal(status, 0);
  n = strlen(o2);
  o2[n - 1] = 0;
  char *last2 = strrchr(o2, '\n');
  last2 = last2 ? last2 + 1 : o2;
  assert_string_equal(last, last2);
  free(o2);
  free(o);
}

static void test_bad_usage(void **st) {
  (void)st;
  int status;
  char *o = run("pann fit --samples 3", &status);
  assert_int_equal(WEXITSTATUS(status), 2);
  free(o);
  o = run("pann nosuch", &status);
  assert_int_equal(WEXITSTATUS(status), 2);
  free(o);
  o = run("pann fit --power /nonexistent/p.json", &status);
  assert_int_equal(WEXITSTATUS(status), 4);
  free(o);
  o = run("pann --help", &status);
  assert_int_equal(status, 0);
  assert_non_null(strstr(o, "pann fit"));
  free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fit_json),
      cmocka_unit_test(test_bad_usage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
