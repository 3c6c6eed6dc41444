/* Tests of `powerprune characterize` and `powerprune timing` end to end: the
 * acceptance shape of the JSON (255 weight keys), determinism with a seed,
 * the files written, and clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/characterize.h"

static char g_dir[64];

static int run(const char *sub, const char *args, char **out) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char cmd[4096], of[128];
  snprintf(of, sizeof of, "%s/stdout.txt", g_dir);
  snprintf(cmd, sizeof cmd, "%s %s %s > %s 2> %s/stderr.txt", exe, sub, args, of, g_dir);
  int st = system(cmd);
  pp_err e;
  pp_err_clear(&e);
  size_t n;
  if (out) assert_int_equal(pp_read_file(of, out, &n, &e), PP_OK);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The "power_uw" object of the output, as a string. */
static char *power_obj(const char *json) {
  const char *s = strstr(json, "\"power_uw\":{");
  assert_non_null(s);
  const char *e = strchr(s, '}');
  assert_non_null(e);
  return strndup(s, (size_t)(e - s + 1));
}

static void test_characterize_cli(void **st) {
  (void)st;
  char args[1024], *out = NULL, *out2 = NULL;
  /* the acceptance command's shape, with few transitions to stay fast */
  snprintf(args, sizeof args, "--uniform --transitions %d --seed 1 -o %s/c1 --json --no-plot",
           getenv("PP_ASAN") ? 3 : 12, g_dir);
  assert_int_equal(run("characterize", args, &out), 0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-power/1\""));
  char *po = power_obj(out);
  for (int w = -127; w <= 127; w++) {
    char k[16];
    snprintf(k, sizeof k, "\"%d\":", w);
    assert_non_null(strstr(po, k));
  }
  assert_null(strstr(po, "\"128\":"));
  assert_null(strstr(po, "\"-128\":"));
  /* same seed, same table; the files read back */
  assert_int_equal(run("characterize", args, &out2), 0);
  char *po2 = power_obj(out2);
  assert_string_equal(po, po2);
  char path[256];
  snprintf(path, sizeof path, "%s/c1/power.csv", g_dir);
  pp_char_power p, q;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_power_read(path, &p, &e), PP_OK);
  snprintf(path, sizeof path, "%s/c1/power.json", g_dir);
  assert_int_equal(pp_char_power_read(path, &q, &e), PP_OK);
  assert_memory_equal(p.dyn_uw, q.dyn_uw, sizeof p.dyn_uw);
  assert_int_equal(p.n_w, 255);
  assert_true(p.clock_ps > 0 && p.uniform == 1 && p.transitions == (getenv("PP_ASAN") ? 3 : 12));
  free(po);
  free(po2);
  free(out);
  free(out2);
  /* errors */
  snprintf(args, sizeof args, "--uniform -o %s/c2 --trace x --json", g_dir);
  assert_int_equal(run("characterize", args, NULL), 2);
  assert_int_equal(run("characterize", "--uniform --json", NULL), 2);
  snprintf(args, sizeof args, "--uniform -o %s/c3 --netlist /nonexistent/mac.v", g_dir);
  assert_int_equal(run("characterize", args, NULL), 4);
  snprintf(args, sizeof args, "--trace %s/c1/power.csv -o %s/c3", g_dir, g_dir);
  assert_int_equal(run("characterize", args, NULL), 3); /* not a statistics file */
  assert_int_equal(run("characterize", "--help", NULL), 0);
}

static void test_timing_cli(void **st) {
  (void)st;
  char args[1024], *out = NULL;
  snprintf(args, sizeof args, "--w-bits 4 --a-bits 4 --p-bits 10 -o %s/t1 --json --no-plot", g_dir);
  assert_int_equal(run("timing", args, &out), 0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-timing/1\""));
  assert_non_null(strstr(out, "\"max_delay_ps_per_weight\":{\"-7\":"));
  char path[256];
  snprintf(path, sizeof path, "%s/t1/delay.bin", g_dir);
  pp_char_delay t;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_delay_read(path, &t, &e), PP_OK);
  unsigned mx = 0;
  for (int w = -7; w <= 7; w++)
    if (pp_char_delay_max_w(&t, w) > mx) mx = pp_char_delay_max_w(&t, w);
  char k[64];
  snprintf(k, sizeof k, "\"max_delay_ps\":%u,", mx);
  assert_non_null(strstr(out, k));
  pp_char_delay_free(&t);
  free(out);
  snprintf(path, sizeof path, "%s/t1/delay_max.csv", g_dir);
  assert_int_equal(access(path, R_OK), 0);
  snprintf(path, sizeof path, "%s/t1/delay_hist.csv", g_dir);
  assert_int_equal(access(path, R_OK), 0);
  snprintf(args, sizeof args, "-o %s/t2 --mult-netlist /nonexistent.v", g_dir);
  assert_int_equal(run("timing", args, NULL), 4);
  assert_int_equal(run("timing", "--w-bits 9 -o x", NULL), 2);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/pp_charcli_XXXXXX");
  if (!mkdtemp(g_dir)) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_characterize_cli), cmocka_unit_test(test_timing_cli)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd)) rc |= 0;
  return rc;
}
