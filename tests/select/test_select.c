/* Tests of select: power thresholds keep zero; every delay-selection method
 * (search, greedy, random; with and without add-back) satisfies its threshold
 * (checked by brute force), equals its naive reference bit for bit, is
 * deterministic with a seed, and best-of-R never loses to R = 1; add-back
 * only adds and only raises J; search and greedy beat random where the
 * optimum is known; the objective; the values files. */
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

static const pp_select_method METHODS[] = {PP_SELECT_SEARCH, PP_SELECT_GREEDY, PP_SELECT_RANDOM};

/* No kept combination above thr, by brute force over the whole table; the
 * result is a subset of the start set and keeps both zeros. */
static void assert_within(const pp_char_delay *t, const pp_select_sets *in, const pp_select_sets *s, unsigned thr) {
  for (int wi = 0; wi < t->n_w; wi++) {
    if (s->w_keep[wi]) assert_true(in->w_keep[wi] || wi == -t->w_min);
    for (int a = 0; a < t->n_a; a++)
      for (int b = 0; b < t->n_a; b++)
        if (s->w_keep[wi] && s->a_keep[a] && s->a_keep[b])
          assert_true(t->d[((size_t)wi * t->n_a + a) * t->n_a + b] <= thr);
  }
  for (int a = 1; a < t->n_a; a++)
    if (s->a_keep[a]) assert_true(in->a_keep[a]);
  assert_true(s->w_keep[-t->w_min] && s->a_keep[0]);
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
  assert_int_equal(o.method, PP_SELECT_SEARCH); /* the default the flow gets */
  assert_int_equal(o.add_back, 1);
  int asan = getenv("PP_ASAN") != NULL; /* smaller grids under the sanitizers, same checks */
  o.repeats = asan ? 2 : 4;
  pp_err e;
  pp_err_clear(&e);
  for (int mi = 0; mi < 3; mi++)
    for (int ab = 0; ab < 2; ab++) {
      o.method = METHODS[mi];
      o.add_back = ab;
      for (unsigned thr = m0; thr >= 60; thr -= asan ? 20 : 10) {
        o.delay_ps = thr;
        pp_select_result r;
        assert_int_equal(pp_select_delay(&t, &all, NULL, NULL, &o, &r, &e), PP_OK);
        assert_true(r.max_delay_ps <= thr);
        assert_within(&t, &all, &r.sets, thr);
        if (thr == m0) assert_int_equal(pp_select_count_w(&r.sets) + pp_select_count_a(&r.sets), t.n_w + t.n_a);
      }
      /* below the (0, 0->0) delay: infeasible, clear error */
      o.delay_ps = 39;
      pp_select_result r;
      assert_int_equal(pp_select_delay(&t, &all, NULL, NULL, &o, &r, &e), PP_EINVAL);
      assert_non_null(strstr(e.msg, "infeasible"));
      pp_err_clear(&e);
    }
  o.method = (pp_select_method)7;
  o.delay_ps = 90;
  pp_select_result r;
  assert_int_equal(pp_select_delay(&t, &all, NULL, NULL, &o, &r, &e), PP_EINVAL);
  pp_char_delay_free(&t);
}

/* The fast code against the naive reference: same sets, J, best run and
 * added-back count, for every method, with and without add-back, on start
 * sets with holes, with and without statistics. */
static void test_fast_equals_reference(void **st) {
  (void)st;
  pp_char_delay t;
  synth(&t, 5, 5, 11);
  double usage[PP_CHAR_MAX_W], mass[PP_CHAR_MAX_A];
  for (int i = 0; i < t.n_w; i++) usage[i] = 300.0 / (1 + abs(i + t.w_min)) * (i % 3);
  for (int a = 0; a < t.n_a; a++) mass[a] = (a * 37 % 11) * 10.0;
  pp_select_sets in;
  pp_select_sets_all(&in, t.w_min, t.n_w, t.n_a);
  in.w_keep[3] = in.w_keep[20] = 0;
  in.a_keep[5] = in.a_keep[17] = 0;
  pp_err e;
  pp_err_clear(&e);
  pp_select_opts o;
  pp_select_opts_default(&o);
  int asan = getenv("PP_ASAN") != NULL;
  o.repeats = asan ? 2 : 3;
  int compared = 0;
  for (int mi = 0; mi < 3; mi++)
    for (int ab = 0; ab < 2; ab++)
      for (unsigned thr = 70; thr <= 100; thr += 10)
        for (uint64_t seed = 1; seed <= (asan ? 1u : 2u); seed++)
          for (int stats = 0; stats < 2; stats++) {
            o.method = METHODS[mi];
            o.add_back = ab;
            o.delay_ps = thr;
            o.seed = seed;
            pp_select_result f, r;
            const double *u = stats ? usage : NULL, *m = stats ? mass : NULL;
            assert_int_equal(pp_select_delay(&t, &in, u, m, &o, &f, &e), PP_OK);
            assert_int_equal(pp_select_delay_ref(&t, &in, u, m, &o, &r, &e), PP_OK);
            assert_memory_equal(f.sets.w_keep, r.sets.w_keep, (size_t)t.n_w);
            assert_memory_equal(f.sets.a_keep, r.sets.a_keep, (size_t)t.n_a);
            assert_true(f.objective == r.objective);
            assert_int_equal(f.best_run, r.best_run);
            assert_int_equal(f.added_back, r.added_back);
            assert_int_equal(f.max_delay_ps, r.max_delay_ps);
            assert_within(&t, &in, &f.sets, thr);
            compared++;
          }
  assert_int_equal(compared, 3 * 2 * 4 * (asan ? 1 : 2) * 2);
  pp_char_delay_free(&t);
}

/* Add-back: with R = 1 the same removal runs with and without it, so the
 * result with add-back contains the one without, stays within the threshold
 * and has J at least as large; on this table it re-inserts something for the
 * random method (whose removals overlap). */
static void test_add_back(void **st) {
  (void)st;
  pp_char_delay t;
  synth(&t, 6, 6, 7);
  pp_select_sets in;
  pp_select_sets_all(&in, t.w_min, t.n_w, t.n_a);
  double usage[PP_CHAR_MAX_W], mass[PP_CHAR_MAX_A];
  for (int i = 0; i < t.n_w; i++) usage[i] = 1000.0 / (1 + abs(i + t.w_min));
  for (int a = 0; a < t.n_a; a++) mass[a] = 500.0 / (1 + a);
  pp_err e;
  pp_err_clear(&e);
  pp_select_opts o;
  pp_select_opts_default(&o);
  o.repeats = 1;
  int readded = 0;
  for (int mi = 0; mi < 3; mi++)
    for (unsigned thr = 70; thr <= 110; thr += 10)
      for (uint64_t seed = 1; seed <= 3; seed++) {
        o.method = METHODS[mi];
        o.delay_ps = thr;
        o.seed = seed;
        pp_select_result without, with;
        o.add_back = 0;
        assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &without, &e), PP_OK);
        assert_int_equal(without.added_back, 0);
        o.add_back = 1;
        assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &with, &e), PP_OK);
        assert_within(&t, &in, &with.sets, thr);
        for (int i = 0; i < t.n_w; i++)
          if (without.sets.w_keep[i]) assert_true(with.sets.w_keep[i]);
        for (int a = 0; a < t.n_a; a++)
          if (without.sets.a_keep[a]) assert_true(with.sets.a_keep[a]);
        int diff = pp_select_count_w(&with.sets) + pp_select_count_a(&with.sets) -
                   pp_select_count_w(&without.sets) - pp_select_count_a(&without.sets);
        assert_int_equal(diff, with.added_back);
        assert_true(with.objective >= without.objective);
        if (o.method == PP_SELECT_RANDOM) readded += with.added_back;
      }
  assert_true(readded > 0);
  pp_char_delay_free(&t);
}

/* A table where the optimum is known: every violation involves one of the
 * activations 4..15, which nothing uses, so removing those twelve alone is
 * optimal (J = 1). Search and greedy find exactly that in their first run;
 * the paper's random rule needs the right member in twelve separate draws and
 * ends below (best of 20, no add-back, five seeds); add-back never makes it
 * worse. */
static void test_known_optimum(void **st) {
  (void)st;
  pp_char_delay t;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_delay_alloc(&t, -7, 15, 16, &e), PP_OK);
  t.d_psum_ps = 30;
  for (int w = -7; w <= 7; w++)
    for (int a = 0; a < 16; a++)
      for (int b = 0; b < 16; b++)
        t.d[((size_t)(w + 7) * 16 + a) * 16 + b] = (uint16_t)(w != 0 && a != b && (a >= 4 || b >= 4) ? 90 : 40);
  pp_select_sets in;
  pp_select_sets_all(&in, -7, 15, 16);
  double usage[PP_CHAR_MAX_W], mass[PP_CHAR_MAX_A];
  for (int i = 0; i < 15; i++) usage[i] = 100;
  for (int a = 0; a < 16; a++) mass[a] = a >= 4 ? -1 : 100; /* m = mass + 1 = 0: unused */
  pp_select_sets best = in;
  for (int a = 4; a < 16; a++) best.a_keep[a] = 0;
  double jopt = pp_select_objective(&in, &best, usage, mass);
  assert_true(jopt == 1);
  pp_select_opts o;
  pp_select_opts_default(&o);
  o.delay_ps = 50;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    o.seed = seed;
    pp_select_result r[4];
    for (int mi = 0; mi < 4; mi++) {
      o.method = METHODS[mi < 3 ? mi : 2];
      o.add_back = mi < 3;
      o.repeats = mi < 2 ? 1 : 20;
      assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r[mi], &e), PP_OK);
      assert_within(&t, &in, &r[mi].sets, 50);
      assert_true(r[mi].objective <= jopt);
    }
    for (int mi = 0; mi < 2; mi++) {
      assert_memory_equal(r[mi].sets.w_keep, best.w_keep, 15);
      assert_memory_equal(r[mi].sets.a_keep, best.a_keep, 16);
      assert_true(r[mi].objective == jopt);
      assert_true(r[mi].objective > r[3].objective);
    }
    assert_true(r[2].objective >= r[3].objective);
  }
  pp_char_delay_free(&t);
}

/* On a seeded multiplier-like table with statistics, best of 20: search and
 * greedy each keep at least the J of random, at every threshold. */
static void test_beats_random_seeded(void **st) {
  (void)st;
  pp_char_delay t;
  synth(&t, 6, 6, 5);
  pp_select_sets in;
  pp_select_sets_all(&in, t.w_min, t.n_w, t.n_a);
  double usage[PP_CHAR_MAX_W], mass[PP_CHAR_MAX_A];
  for (int i = 0; i < t.n_w; i++) usage[i] = 1000.0 / (1 + abs(i + t.w_min));
  for (int a = 0; a < t.n_a; a++) mass[a] = 500.0 / (1 + a);
  pp_err e;
  pp_err_clear(&e);
  pp_select_opts o;
  pp_select_opts_default(&o);
  o.seed = 1;
  for (unsigned thr = 70; thr <= 110; thr += 10) {
    o.delay_ps = thr;
    pp_select_result r[3];
    for (int mi = 0; mi < 3; mi++) {
      o.method = METHODS[mi];
      assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r[mi], &e), PP_OK);
    }
    assert_true(r[0].objective >= r[2].objective);
    assert_true(r[1].objective >= r[2].objective);
  }
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
  o.method = PP_SELECT_RANDOM; /* the method whose repeats matter most */
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
  /* every method: same seed, same sets; best of 20 never below R = 1 */
  for (int mi = 0; mi < 3; mi++) {
    o.method = METHODS[mi];
    o.seed = 9;
    pp_select_result r1, r20, r20b;
    o.repeats = 1;
    assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r1, &e), PP_OK);
    o.repeats = 20;
    assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r20, &e), PP_OK);
    assert_int_equal(pp_select_delay(&t, &in, usage, mass, &o, &r20b, &e), PP_OK);
    assert_memory_equal(&r20.sets, &r20b.sets, sizeof r20.sets);
    assert_true(r20.objective == r20b.objective && r20.best_run == r20b.best_run);
    assert_true(r20.objective >= r1.objective);
  }
  pp_char_delay_free(&t);
}

static void test_objective(void **st) {
  (void)st;
  pp_select_sets a, b;
  pp_select_sets_all(&a, -1, 3, 4);
  b = a;
  double usage[3] = {9, 99, 19}, mass[4] = {3, 1, 1, 3};
  assert_true(pp_select_objective(&a, &b, usage, mass) == 1);
  b.w_keep[2] = 0; /* lose weight 1: zeros do not count, 10 / (10 + 20) */
  b.a_keep[3] = 0; /* lose act 3: (2 + 2) / (2 + 2 + 4) */
  assert_true(fabs(pp_select_objective(&a, &b, usage, mass) - (10.0 / 30) * (4.0 / 8)) < 1e-15);
  /* without statistics J counts values */
  assert_true(fabs(pp_select_objective(&a, &b, NULL, NULL) - (1.0 / 2) * (2.0 / 3)) < 1e-15);
  /* nothing but zeros left: J = 0; nothing but zeros to start with: factor 1 */
  b.w_keep[0] = 0;
  assert_true(pp_select_objective(&a, &b, usage, mass) == 0);
  pp_select_sets z;
  pp_select_sets_all(&z, -1, 3, 1);
  z.w_keep[0] = z.w_keep[2] = 0;
  assert_true(pp_select_objective(&z, &z, usage, mass) == 1);
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
      cmocka_unit_test(test_fast_equals_reference),
      cmocka_unit_test(test_add_back),
      cmocka_unit_test(test_known_optimum),
      cmocka_unit_test(test_beats_random_seeded),
      cmocka_unit_test(test_deterministic_and_best_of_r),
      cmocka_unit_test(test_objective),
      cmocka_unit_test(test_values_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
