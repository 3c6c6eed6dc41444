/* Tests of select: power thresholds keep zero, delay selection satisfies its
 * threshold, is deterministic with a seed, best-of-R never loses to R = 1,
 * the objective, and the values files. */
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

#include "pp/select.h"

/* A synthetic delay table shaped like a multiplier's: the delay grows with
 * the number of set bits of |w| and of the activations' changed bits, plus
 * noise, over a psum floor. */
static void synth(pp_char_delay *t, int wbits, int abits, uint64_t seed) {
  pp_err e;
  pp_err_clear(&e);
  int wmax = (1 << (wbits - 1)) - 1, na = 1 << abits;
  assert_int_equal(pp_char_delay_alloc(t, -wmax, 2 * wmax + 1, na, &e), PP_OK);
  pp_rng r;
  pp_rng_seed(&r, seed);
  t->d_psum_ps = 40;
  for (int w = -wmax; w <= wmax; w++)
    for (int a = 0; a < na; a++)
      for (int b = 0; b < na; b++) {
        unsigned d = 40;
        if (w != 0 && a != b) d = 50 + 8 * __builtin_popcount((unsigned)abs(w)) + 6 * __builtin_popcount((unsigned)(a ^ b)) +
                                  (unsigned)pp_rng_below(&r, 20) + (w < 0 ? 5 : 0);
        t->d[((size_t)(w + wmax) * na + a) * na + b] = (uint16_t)d;
      }
}

static void test_power_threshold(void **st) {
  (void)st;
  pp_char_power p;
  memset(&p, 0, sizeof p);
  p.w_min = -127;
  p.n_w = 255;
  p.leak_uw = 10;
  for (int i = 0; i < 255; i++) p.dyn_uw[i] = 500 + 3 * abs(i - 127);
  p.dyn_uw[127] = 900; /* even an expensive zero is kept */
  pp_select_sets s;
  pp_select_power_threshold(&p, 600, &s);
  /* 510 + 3|w| < 600  <=>  |w| <= 29 */
  assert_int_equal(pp_select_count_w(&s), 59);
  assert_true(s.w_keep[127]);
  assert_true(s.w_keep[127 + 29] && !s.w_keep[127 + 30] && s.w_keep[127 - 29]);
  assert_int_equal(pp_select_count_a(&s), 256);
  pp_select_power_threshold(&p, 0, &s);
  assert_int_equal(pp_select_count_w(&s), 1);
  pp_select_power_keep(&p, 5, &s);
  assert_int_equal(pp_select_count_w(&s), 5);
  assert_true(s.w_keep[127] && s.w_keep[126] && s.w_keep[128] && s.w_keep[125] && s.w_keep[129]);
}

static void test_delay_threshold(void **st) {
  (void)st;
  pp_char_delay t;
  synth(&t, 6, 6, 3);
  pp_select_sets all;
  pp_select_sets_all(&all, t.w_min, t.n_w, t.n_a);
  unsigned m0 = pp_select_max_delay(&t, &all);
  pp_select_opts o;
  pp_select_opts_default(&o);
  pp_err e;
  pp_err_clear(&e);
  for (unsigned thr = m0; thr >= 60; thr -= 10) {
    o.delay_ps = thr;
    pp_select_result r;
    assert_int_equal(pp_select_delay(&t, &all, NULL, NULL, &o, &r, &e), PP_OK);
    assert_true(r.max_delay_ps <= thr);
    /* independent check by brute force */
    for (int wi = 0; wi < t.n_w; wi++)
      for (int a = 0; a < t.n_a; a++)
        for (int b = 0; b < t.n_a; b++)
          if (r.sets.w_keep[wi] && r.sets.a_keep[a] && r.sets.a_keep[b])
            assert_true(t.d[((size_t)wi * t.n_a + a) * t.n_a + b] <= thr);
    assert_true(r.sets.w_keep[-t.w_min] && r.sets.a_keep[0]); /* zeros never removed */
    if (thr == m0) assert_int_equal(pp_select_count_w(&r.sets) + pp_select_count_a(&r.sets), t.n_w + t.n_a);
  }
  /* below the (0, 0->0) delay: infeasible, clear error */
  o.delay_ps = 39;
  pp_select_result r;
  assert_int_equal(pp_select_delay(&t, &all, NULL, NULL, &o, &r, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "infeasible"));
  pp_char_delay_free(&t);
}

static void test_deterministic_and_best_of_r(void **st) {
  (void)st;
  pp_char_delay t;
  synth(&t, 6, 6, 5);
  pp_select_sets in;
  pp_select_sets_all(&in, t.w_min, t.n_w, t.n_a);
  double usage[PP_CHAR_MAX_W], mass[PP_CHAR_MAX_A];
  for (int i = 0; i < t.n_w; i++) usage[i] = 1000.0 / (1 + abs(i + t.w_min)); /* small weights used most */
  for (int a = 0; a < t.n_a; a++) mass[a] = 500.0 / (1 + a);
  pp_err e;
  pp_err_clear(&e);
  pp_select_opts o;
  pp_select_opts_default(&o);
  o.delay_ps = 90;
  int improved = 0;
  for (uint64_t seed = 1; seed <= 8; seed++) {
    o.seed = seed;
    pp_select_result r1, r20, r20b;
    o.repeats = 1;
    assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r1, &e), PP_OK);
    o.repeats = 20;
    assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r20, &e), PP_OK);
    assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r20b, &e), PP_OK);
    assert_memory_equal(&r20.sets, &r20b.sets, sizeof r20.sets);
    assert_true(r20.objective == r20b.objective && r20.best_run == r20b.best_run);
    assert_true(r20.objective >= r1.objective);
    if (r20.objective > r1.objective) improved++;
    assert_true(fabs(pp_select_objective(&in, &r20.sets, usage, mass) - r20.objective) < 1e-15);
    assert_true(r20.objective > 0 && r20.objective <= 1);
  }
  assert_true(improved > 0); /* the repeats do something */
  pp_char_delay_free(&t);
}

static void test_objective(void **st) {
  (void)st;
  pp_select_sets a, b;
  pp_select_sets_all(&a, -1, 3, 4);
  b = a;
  double usage[3] = {9, 99, 19}, mass[4] = {3, 1, 1, 3};
  assert_true(pp_select_objective(&a, &b, usage, mass) == 1);
  b.w_keep[2] = 0; /* lose weight 1: (10 + 100) / 130 */
  b.a_keep[3] = 0; /* lose act 3: (4 + 2 + 2) / 12 */
  assert_true(fabs(pp_select_objective(&a, &b, usage, mass) - (110.0 / 130) * (8.0 / 12)) < 1e-15);
  /* without statistics J counts values */
  assert_true(fabs(pp_select_objective(&a, &b, NULL, NULL) - (2.0 / 3) * (3.0 / 4)) < 1e-15);
}

static void test_values_files(void **st) {
  (void)st;
  char dir[] = "/tmp/pp_select_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char wp[256], ap[256], bad[256];
  snprintf(wp, sizeof wp, "%s/w.txt", dir);
  snprintf(ap, sizeof ap, "%s/a.txt", dir);
  snprintf(bad, sizeof bad, "%s/bad.txt", dir);
  pp_select_sets s;
  pp_select_sets_all(&s, -127, 255, 256);
  for (int i = 0; i < 255; i++) s.w_keep[i] = (i % 3) == 0 || i == 127;
  for (int a = 0; a < 256; a++) s.a_keep[a] = a < 100;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_select_write_sets(&s, wp, ap, "selected by test\nthreshold 1", &e), PP_OK);
  uint8_t wm[255], am[256];
  int nw, na;
  assert_int_equal(pp_select_read_values(wp, -127, 127, wm, &nw, &e), PP_OK);
  assert_int_equal(pp_select_read_values(ap, 0, 255, am, &na, &e), PP_OK);
  assert_memory_equal(wm, s.w_keep, 255);
  assert_memory_equal(am, s.a_keep, 256);
  assert_int_equal(nw, pp_select_count_w(&s));
  assert_int_equal(na, 100);
  FILE *f = fopen(bad, "w");
  fputs("# c\n1\n\n2x\n", f);
  fclose(f);
  assert_int_equal(pp_select_read_values(bad, -127, 127, wm, &nw, &e), PP_EPARSE);
  assert_int_equal(e.line, 4);
  pp_err_clear(&e);
  f = fopen(bad, "w");
  fputs("1\n300\n", f);
  fclose(f);
  assert_int_equal(pp_select_read_values(bad, 0, 255, am, &na, &e), PP_EPARSE);
  assert_int_equal(e.line, 2);
  pp_err_clear(&e);
  f = fopen(bad, "w");
  fputs("5\n5\n", f);
  fclose(f);
  assert_int_equal(pp_select_read_values(bad, 0, 255, am, &na, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "twice"));
  remove(wp);
  remove(ap);
  remove(bad);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_power_threshold),
      cmocka_unit_test(test_delay_threshold),
      cmocka_unit_test(test_deterministic_and_best_of_r),
      cmocka_unit_test(test_objective),
      cmocka_unit_test(test_values_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
