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
#include "pp_test.h"

static char g_dir[64];

/* Runs powerprune with the arguments; stdout into *out (caller frees). */
#define RUN(out, ...) pp_test_cli(g_dir, (out), __VA_ARGS__, (const char *)NULL)
#define P(name) pp_test_path(g_dir, (name))

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
  char *out = NULL, *out2 = NULL;
  /* the acceptance command's shape, with few transitions to stay fast */
#define ARGS1 "characterize", "--uniform", "--transitions", getenv("PP_ASAN") ? "3" : "12", "--seed", "1", "-o", P("c1"), \
              "--json", "--no-plot"
  assert_int_equal(RUN(&out, ARGS1), 0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-power-1\""));
  char *po = power_obj(out);
  for (int w = -127; w <= 127; w++) {
    char k[16];
    snprintf(k, sizeof k, "\"%d\":", w);
    assert_non_null(strstr(po, k));
  }
  assert_null(strstr(po, "\"128\":"));
  assert_null(strstr(po, "\"-128\":"));
  /* same seed, same table; the files read back */
  assert_int_equal(RUN(&out2, ARGS1), 0);
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
  assert_int_equal(RUN(NULL, "characterize", "--uniform", "-o", P("c2"), "--trace", "x", "--json"), 2);
  assert_int_equal(RUN(NULL, "characterize", "--uniform", "--json"), 2);
  assert_int_equal(RUN(NULL, "characterize", "--uniform", "-o", P("c3"), "--netlist", "/nonexistent/mac.v"), 4);
  assert_int_equal(RUN(NULL, "characterize", "--trace", P("c1/power.csv"), "-o", P("c3")), 3); /* not a statistics file */
  assert_int_equal(RUN(NULL, "characterize", "--help"), 0);
}

static void test_timing_cli(void **st) {
  (void)st;
  char *out = NULL;
  assert_int_equal(RUN(&out, "timing", "--w-bits", "4", "--a-bits", "4", "--p-bits", "10", "-o", P("t1"), "--json",
                       "--no-plot"),
                   0);
  assert_non_null(strstr(out, "\"format\":\"powerprune-timing-1\""));
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
  assert_int_equal(RUN(NULL, "timing", "-o", P("t2"), "--mult-netlist", "/nonexistent.v"), 4);
  assert_int_equal(RUN(NULL, "timing", "--w-bits", "9", "-o", "x"), 2);
}

int main(void) {
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_charcli")) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_characterize_cli), cmocka_unit_test(test_timing_cli)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  if (pp_test_rmtree(g_dir)) {
    fprintf(stderr, "could not remove %s\n", g_dir);
    rc |= 1;
  }
  return rc;
}
