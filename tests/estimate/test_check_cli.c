/* Tests of `powerprune estimate --check-model`: a small model's largest layer
 * on the synthetic data set, checked against gate-level simulation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/estimate.h"
#include "pp_test.h"

static char g_dir[64];

#define P(name) pp_test_path(g_dir, (name))

static void test_check_cli(void **st) {
  (void)st;
  char mp[128];
  snprintf(mp, sizeof mp, "%s/m.ppm", g_dir);
  /* a few QAT steps calibrate the activation ranges the integer path needs */
  assert_int_equal(pp_test_cli(g_dir, NULL, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1", "--qat",
                               "--train-limit", "256", "--max-steps", "4", "-o", mp, (const char *)NULL),
                   0);
  pp_err e;
  pp_err_clear(&e);
  char *out = NULL, *out2 = NULL;
  const char *const args[] = {"estimate", "--check-model", mp, "--check-data", "synthetic", "--check-pes", "4",
                              "--check-transitions", getenv("PP_ASAN") ? "20" : "80", "--seed", "2", "-o", P("c"),
                              "--json", NULL};
  int rc = pp_test_cliv(g_dir, &out, args);
  if (rc) {
    char ep[128], *err;
    size_t n;
    snprintf(ep, sizeof ep, "%s/stderr.txt", g_dir);
    if (!pp_read_file(ep, &err, &n, &e)) {
      fprintf(stderr, "%s", err);
      free(err);
    }
  }
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-estimate-check-1\""));
  assert_non_null(strstr(out, "\"pes\":4"));
  char *er = strstr(out, "\"error\":");
  assert_non_null(er);
  double err = strtod(er + 8, NULL);
  assert_true(isfinite(err) && fabs(err) < 1);
  assert_int_equal(pp_test_cliv(g_dir, &out2, args), 0); /* deterministic */
  assert_string_equal(out, out2);
  free(out);
  free(out2);
  assert_int_equal(pp_test_cli(g_dir, NULL, "estimate", "--check-model", mp, "--check-data", "synthetic", "--check-layer",
                               "nosuch", "--json", (const char *)NULL),
                   2);
  assert_true(pp_test_cli(g_dir, NULL, "estimate", "--check-model", P("none.ppm"), "--check-data", "synthetic", "--json",
                          (const char *)NULL) != 0);
}

int main(void) {
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_chkcli")) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_check_cli)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  if (pp_test_rmtree(g_dir)) {
    fprintf(stderr, "could not remove %s\n", g_dir);
    rc |= 1;
  }
  return rc;
}
