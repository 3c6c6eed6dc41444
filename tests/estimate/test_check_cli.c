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

static char g_dir[64];

static int run(const char *args, char **out) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char cmd[4096], of[128];
  snprintf(of, sizeof of, "%s/stdout.txt", g_dir);
  snprintf(cmd, sizeof cmd, "%s estimate %s > %s 2> %s/stderr.txt", exe, args, of, g_dir);
  int st = system(cmd);
  pp_err e;
  pp_err_clear(&e);
  size_t n;
  if (out) assert_int_equal(pp_read_file(of, out, &n, &e), PP_OK);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_check_cli(void **st) {
  (void)st;
  char mp[128], cmd[1024];
  snprintf(mp, sizeof mp, "%s/m.ppm", g_dir);
  /* a few QAT steps calibrate the activation ranges the integer path needs */
  snprintf(cmd, sizeof cmd,
           "%s train --model lenet5 --data synthetic --epochs 1 --qat --train-limit 256 --max-steps 4 -o %s > %s/train.txt "
           "2>&1",
           getenv("PP_EXE"), mp, g_dir);
  assert_int_equal(system(cmd), 0);
  pp_err e;
  pp_err_clear(&e);
  char args[1024], *out = NULL, *out2 = NULL;
  snprintf(args, sizeof args,
           "--check-model %s --check-data synthetic --check-pes 4 --check-transitions %d --seed 2 -o %s/c --json", mp,
           getenv("PP_ASAN") ? 20 : 80, g_dir);
  int rc = run(args, &out);
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
  assert_non_null(strstr(out, "\"format\":\"powerprune-estimate-check/1\""));
  assert_non_null(strstr(out, "\"pes\":4"));
  char *er = strstr(out, "\"error\":");
  assert_non_null(er);
  double err = strtod(er + 8, NULL);
  assert_true(isfinite(err) && fabs(err) < 1);
  assert_int_equal(run(args, &out2), 0); /* deterministic */
  assert_string_equal(out, out2);
  free(out);
  free(out2);
  snprintf(args, sizeof args, "--check-model %s --check-data synthetic --check-layer nosuch --json", mp);
  assert_int_equal(run(args, NULL), 2);
  snprintf(args, sizeof args, "--check-model %s/none.ppm --check-data synthetic --json", g_dir);
  assert_true(run(args, NULL) != 0);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/pp_chkcli_XXXXXX");
  if (!mkdtemp(g_dir)) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_check_cli)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd)) rc |= 0;
  return rc;
}
