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
#include "pp_test.h"

static char g_dir[64];

/* Runs `powerprune select` with the arguments; stdout into *out (caller frees). */
#define RUN(out, ...) pp_test_cli(g_dir, (out), "select", __VA_ARGS__, (const char *)NULL)
#define P(name) pp_test_path(g_dir, (name))

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
  char *out = NULL;
  /* power only: P < 137 keeps -2..3 (P[-3] = 138, P[3] = 135) */
  assert_int_equal(RUN(&out, "--power", P("power.csv"), "--power-uw", "137", "-o", P("o1"), "--json"), 0);
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
#define ARGS2 "--power", P("power.csv"), "--power-keep", "15", "--delay", P("delay.bin"), "--delay-ps", "60", \
              "--seed", "3", "-o", P("o2"), "--json"
  assert_int_equal(RUN(&out, ARGS2), 0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-select-1\""));
  char *m = strstr(out, "\"max_delay_ps\":");
  assert_non_null(m);
  assert_true(atoi(m + 15) <= 60);
  char *first = out;
  out = NULL;
  assert_int_equal(RUN(&out, ARGS2), 0); /* same seed, same answer */
  assert_string_equal(first, out);
  free(first);
  free(out);
  /* each method, with and without add-back: within the threshold, and the
   * method recorded; an unknown method is a usage error */
  const char *methods[] = {"search", "greedy", "random"};
  for (int k = 0; k < 3; k++) {
    assert_int_equal(RUN(&out, "--power", P("power.csv"), "--power-keep", "15", "--delay", P("delay.bin"), "--delay-ps",
                         "55", "--method", methods[k], "--json", k == 2 ? "--no-add-back" : NULL),
                     0);
    m = strstr(out, "\"max_delay_ps\":");
    assert_non_null(m);
    assert_true(atoi(m + 15) <= 55);
    char want[64];
    snprintf(want, sizeof want, "\"method\":\"%.6s\"", methods[k]);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, k == 2 ? "\"add_back\":false" : "\"add_back\":true"));
    free(out);
  }
  assert_int_equal(RUN(NULL, "--power", P("power.csv"), "--power-keep", "15", "--delay", P("delay.bin"), "--delay-ps",
                       "55", "--method", "best", "--json"),
                   2);
  /* bad usage and bad files: exit codes 2 and 3 */
  assert_int_equal(RUN(NULL, "--power", P("power.csv"), "--json"), 2);
  assert_int_equal(
      RUN(NULL, "--power", P("power.csv"), "--power-uw", "1", "--delay", P("power.csv"), "--delay-ps", "50", "--json"), 3);
  assert_int_equal(RUN(NULL, "--power", P("delay.bin"), "--power-uw", "1", "--json"), 3);
  assert_int_equal(RUN(NULL, "--power", P("power.csv"), "--power-keep", "15", "--delay", P("delay.bin"), "--delay-ps",
                       "20", "--json"),
                   2); /* infeasible threshold */
  assert_int_equal(RUN(NULL, "--help"), 0);
}

int main(void) {
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_selcli")) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_cli_select)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  if (pp_test_rmtree(g_dir)) {
    fprintf(stderr, "could not remove %s\n", g_dir);
    rc |= 1;
  }
  return rc;
}
