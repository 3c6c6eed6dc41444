/* Tests of `powerprune pann qat`: with --act-bits auto the width comes from
 * QAT probes judged on validation images, every candidate's figures are in
 * the JSON, the chosen one is the best after its probe, and --probe-steps 0
 * falls back to the post-training choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_test.h"

static char g_dir[256];

/* The JSON object printed last on stdout. */
static const char *last_line(char *o) {
  size_t n = strlen(o);
  assert_true(n > 2 && o[n - 1] == '\n');
  o[n - 1] = 0;
  char *last = strrchr(o, '\n');
  return last ? last + 1 : o;
}

static void test_qat_probe_cli(void **st) {
  (void)st;
  const char *asan = getenv("PP_ASAN");
  const char *samples = asan ? "60" : "200";
  char *out = NULL;
  assert_int_equal(pp_test_cli(g_dir, NULL, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1", "-o",
                               pp_test_path(g_dir, "m.ppnn"), NULL),
                   0);
  assert_int_equal(
      pp_test_cli(g_dir, NULL, "pann", "fit", "--samples", samples, "--out", pp_test_path(g_dir, "pw.json"), NULL), 0);
  assert_int_equal(pp_test_cli(g_dir, &out, "pann", "qat", "--model-file", pp_test_path(g_dir, "m.ppnn"), "--data",
                               "synthetic", "--power", pp_test_path(g_dir, "pw.json"), "--budget-bits", "3",
                               "--pann-act-bits", "3-4", "--probe-steps", "5", "--steps", "10", "--calib", "100",
                               "--val", "200", "--save", pp_test_path(g_dir, "q.ppnn"), "--json", NULL),
                   0);
  const char *j = last_line(out);
  assert_true(j[0] == '{');
  assert_non_null(strstr(j, "\"width_choice\":\"qat-probe\""));
  assert_non_null(strstr(j, "\"val_images\":200"));
  /* two candidates, 3 and 4 bits, exactly one chosen, the best after its probe */
  const char *c3 = strstr(j, "{\"act_bits\":3,"), *c4 = strstr(j, "{\"act_bits\":4,");
  assert_non_null(c3);
  assert_non_null(c4);
  double acc[2];
  int chosen[2], nchosen = 0;
  const char *c[2] = {c3, c4};
  for (int k = 0; k < 2; k++) {
    const char *a = strstr(c[k], "\"probe_val_acc_pct\":"), *ch = strstr(c[k], "\"chosen\":");
    assert_non_null(a);
    assert_non_null(ch);
    acc[k] = strtod(a + strlen("\"probe_val_acc_pct\":"), NULL);
    chosen[k] = !strncmp(ch + strlen("\"chosen\":"), "true", 4);
    nchosen += chosen[k];
  }
  assert_int_equal(nchosen, 1);
  int w = chosen[0] ? 0 : 1;
  assert_true(acc[w] >= acc[1 - w]);
  /* the deployment trained is the chosen width */
  char want[64];
  snprintf(want, sizeof want, "\"train_act_bits\":%d", 3 + w);
  assert_non_null(strstr(j, want));
  free(out);
  /* no probes: the planner's post-training choice, recorded as such */
  out = NULL;
  assert_int_equal(pp_test_cli(g_dir, &out, "pann", "qat", "--model-file", pp_test_path(g_dir, "m.ppnn"), "--data",
                               "synthetic", "--power", pp_test_path(g_dir, "pw.json"), "--budget-bits", "3",
                               "--pann-act-bits", "3-4", "--probe-steps", "0", "--steps", "10", "--calib", "100",
                               "--val", "200", "--save", pp_test_path(g_dir, "q2.ppnn"), "--json", NULL),
                   0);
  j = last_line(out);
  assert_non_null(strstr(j, "\"width_choice\":\"post-training\""));
  assert_non_null(strstr(j, "\"probe\":null"));
  free(out);
  /* an impossible option: usage error, nothing saved */
  assert_int_equal(pp_test_cli(g_dir, NULL, "pann", "qat", "--model-file", pp_test_path(g_dir, "m.ppnn"),
                               "--probe-steps", "-1", "--budget-bits", "2", "--save", pp_test_path(g_dir, "q3.ppnn"),
                               NULL),
                   2);
}

int main(void) {
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_qatcli")) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_qat_probe_cli)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  pp_test_rmtree(g_dir);
  return rc;
}
