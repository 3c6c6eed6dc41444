/* Tests of `powerprune select` end to end: table files in, allowed-values
 * files and JSON out, and one clear error for bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/select.h"

static char g_dir[64];

/* Runs the CLI with args; stdout into *out (caller frees), returns exit status. */
static int run(const char *args, char **out) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char cmd[4096], of[128];
  snprintf(of, sizeof of, "%s/stdout.txt", g_dir);
  snprintf(cmd, sizeof cmd, "%s select %s > %s 2> %s/stderr.txt", exe, args, of, g_dir);
  int st = system(cmd);
  pp_err e;
  pp_err_clear(&e);
  size_t n;
  if (out) assert_int_equal(pp_read_file(of, out, &n, &e), PP_OK);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup_files(void) {
  pp_char_power p;
  memset(&p, 0, sizeof p);
  p.w_min = -7;
  p.n_w = 15;
  for (int i = 0; i < 15; i++) p.dyn_uw[i] = 100 + 10 * abs(i - 7) + (i < 7 ? 3 : 0);
  p.leak_uw = 5;
  p.clock_ps = 500;
  char path[256];
  pp_err e;
  pp_err_clear(&e);
  snprintf(path, sizeof path, "%s/power.csv", g_dir);
  assert_int_equal(pp_char_power_write_csv(&p, path, &e), PP_OK);
  pp_char_delay t;
  assert_int_equal(pp_char_delay_alloc(&t, -7, 15, 16, &e), PP_OK);
  t.d_psum_ps = 30;
  for (int w = -7; w <= 7; w++)
    for (int a = 0; a < 16; a++)
      for (int b = 0; b < 16; b++)
        t.d[((size_t)(w + 7) * 16 + a) * 16 + b] =
            (uint16_t)(w == 0 || a == b ? 30 : 40 + 5 * abs(w) + 3 * __builtin_popcount((unsigned)(a ^ b)));
  snprintf(path, sizeof path, "%s/delay.bin", g_dir);
  assert_int_equal(pp_char_delay_write(&t, path, &e), PP_OK);
  pp_char_delay_free(&t);
}

static void test_cli_select(void **st) {
  (void)st;
  setup_files();
  char args[1024], *out = NULL;
  /* power only: P < 137 keeps -2..3 (P[-3] = 138, P[3] = 135) */
  snprintf(args, sizeof args, "--power %s/power.csv --power-uw 137 -o %s/o1 --json", g_dir, g_dir);
  assert_int_equal(run(args, &out), 0);
  assert_non_null(strstr(out, "\"n_weights\":6"));
  assert_non_null(strstr(out, "\"weights\":[-2,-1,0,1,2,3]"));
  free(out);
  char wp[256];
  snprintf(wp, sizeof wp, "%s/o1/weights.txt", g_dir);
  uint8_t mask[15];
  int n;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_select_read_values(wp, -7, 7, mask, &n, &e), PP_OK);
  assert_int_equal(n, 6);
  /* power and delay: every kept combination within 60 ps */
  snprintf(args, sizeof args,
           "--power %s/power.csv --power-keep 15 --delay %s/delay.bin --delay-ps 60 --seed 3 -o %s/o2 --json", g_dir,
           g_dir, g_dir);
  assert_int_equal(run(args, &out), 0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-select/1\""));
  char *m = strstr(out, "\"max_delay_ps\":");
  assert_non_null(m);
  assert_true(atoi(m + 15) <= 60);
  char *first = out;
  out = NULL;
  assert_int_equal(run(args, &out), 0); /* same seed, same answer */
  assert_string_equal(first, out);
  free(first);
  free(out);
  /* each method, with and without add-back: within the threshold, and the
   * method recorded; an unknown method is a usage error */
  const char *methods[] = {"search", "greedy", "random --no-add-back"};
  for (int k = 0; k < 3; k++) {
    snprintf(args, sizeof args,
             "--power %s/power.csv --power-keep 15 --delay %s/delay.bin --delay-ps 55 --method %s --json", g_dir, g_dir,
             methods[k]);
    assert_int_equal(run(args, &out), 0);
    m = strstr(out, "\"max_delay_ps\":");
    assert_non_null(m);
    assert_true(atoi(m + 15) <= 55);
    char want[64];
    snprintf(want, sizeof want, "\"method\":\"%.6s\"", methods[k]);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, k == 2 ? "\"add_back\":false" : "\"add_back\":true"));
    free(out);
  }
  snprintf(args, sizeof args, "--power %s/power.csv --power-keep 15 --delay %s/delay.bin --delay-ps 55 --method best --json",
           g_dir, g_dir);
  assert_int_equal(run(args, NULL), 2);
  /* bad usage and bad files: exit codes 2 and 3 */
  snprintf(args, sizeof args, "--power %s/power.csv --json", g_dir);
  assert_int_equal(run(args, NULL), 2);
  snprintf(args, sizeof args, "--power %s/power.csv --power-uw 1 --delay %s/power.csv --delay-ps 50 --json", g_dir,
           g_dir);
  assert_int_equal(run(args, NULL), 3);
  snprintf(args, sizeof args, "--power %s/delay.bin --power-uw 1 --json", g_dir);
  assert_int_equal(run(args, NULL), 3);
  snprintf(args, sizeof args, "--power %s/power.csv --power-keep 15 --delay %s/delay.bin --delay-ps 20 --json", g_dir,
           g_dir);
  assert_int_equal(run(args, NULL), 2); /* infeasible threshold */
  assert_int_equal(run("--help", NULL), 0);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/pp_selcli_XXXXXX");
  if (!mkdtemp(g_dir)) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_cli_select)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd)) rc |= 0;
  return rc;
}
