/* Tests of retrain: the threshold-lowering loops, first with a scripted
 * trainer (exact sequence of steps), then with a real (small) training on a
 * synthetic data set: a linear classifier whose integer weights are snapped to
 * the allowed set in the forward pass, straight-through in the backward pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/retrain.h"

/* Power: |w| costs more, odd values a bit more (a shift is cheap). */
static void make_power(double *p) {
  for (int w = -127; w <= 127; w++) p[w + 127] = w == 0 ? 100 : 500 + 3 * abs(w) + (w & 1 ? 40 : 0);
}

/* Delay of (w, a): grows with the bits set in w and a; the max over the set. */
static double delay_of(int w, int a) { return 100 + 6 * __builtin_popcount(abs(w)) + 4 * __builtin_popcount(a); }

static double set_delay(const uint8_t *W, const uint8_t *A) {
  double m = 0;
  for (int i = 0; i < 255; i++)
    for (int a = 0; a < 256; a++)
      if (W[i] && A[a] && i != 127 && delay_of(i - 127, a) > m) m = delay_of(i - 127, a);
  return m;
}

static int cb_max_delay(void *u, const uint8_t *W, const uint8_t *A, double *ps, pp_err *e) {
  (void)u;
  (void)e;
  *ps = set_delay(W, A);
  return PP_OK;
}

/* Greedy: drop the activation or weight with the most bits until under thr. */
static int cb_select(void *u, double thr, const uint8_t *Win, uint8_t *Wout, uint8_t *Aout, double *md, pp_err *e) {
  (void)u;
  (void)e;
  memcpy(Wout, Win, 255);
  memset(Aout, 1, 256);
  while (set_delay(Wout, Aout) > thr) {
    int ba = -1, bw = -1;
    for (int a = 255; a >= 0; a--)
      if (Aout[a] && (ba < 0 || __builtin_popcount(a) > __builtin_popcount(ba))) ba = a;
    for (int i = 0; i < 255; i++)
      if (Wout[i] && i != 127 && (bw < 0 || __builtin_popcount(abs(i - 127)) > __builtin_popcount(abs(bw - 127))))
        bw = i;
    if (bw >= 0 && 6 * __builtin_popcount(abs(bw - 127)) >= 4 * __builtin_popcount(ba)) Wout[bw] = 0;
    else Aout[ba] = 0;
  }
  *md = set_delay(Wout, Aout);
  return PP_OK;
}

/* ---- scripted trainer ---- */
typedef struct {
  const double *acc; /* accuracy of the k-th call */
  int calls;
  char from[64][32];
  uint8_t W[64][255], A[64][256];
} script;

static int cb_script(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                     pp_err *e) {
  (void)tag;
  (void)e;
  script *s = u;
  snprintf(s->from[s->calls], 32, "%s", from ? from : "");
  memcpy(s->W[s->calls], W, 255);
  memcpy(s->A[s->calls], A, 256);
  *acc = s->acc[s->calls++];
  return PP_OK;
}

static void test_scripted_sequence(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  /* power: accept, accept, reject; delay: accept, accept, reject */
  const double acc[] = {90.0, 89.8, 88.0, 89.7, 89.2, 85.0, 0, 0, 0, 0};
  script s = {.acc = acc};
  pp_retrain_ops ops = {&s, cb_script, cb_select, cb_max_delay, NULL};
  pp_retrain_opts o;
  pp_retrain_opts_default(&o);
  o.base_accuracy = 90.0;
  o.tolerance = 1.0;
  o.power_tolerance = 0.5;
  o.power_uw = p;
  o.power_step_uw = 60;
  pp_retrain_result r;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
  assert_int_equal(s.calls, 6);
  assert_int_equal(r.nsteps, 6);
  /* power phase: thresholds fall by the step, fewer weights each time, zero kept */
  double pmax = 0;
  for (int i = 0; i < 255; i++) pmax = fmax(pmax, p[i]);
  for (int k = 0; k < 3; k++) {
    assert_int_equal(r.steps[k].phase, 0);
    assert_true(fabs(r.steps[k].threshold - (pmax - 60 * (k + 1))) < 1e-9);
    assert_int_equal(r.steps[k].n_weights, pp_retrain_count(s.W[k], 255));
    assert_true(s.W[k][127]);
    for (int i = 0; i < 255; i++) assert_true(!s.W[k][i] || i == 127 || p[i] <= r.steps[k].threshold);
    if (k) assert_true(r.steps[k].n_weights < r.steps[k - 1].n_weights);
  }
  assert_true(r.steps[0].accepted && r.steps[1].accepted && !r.steps[2].accepted);
  /* delay phase starts from the last accepted power step, 10 ps apart, below the max delay */
  assert_int_equal(r.steps[3].phase, 1);
  double d1 = set_delay(s.W[1], s.A[1]);
  assert_true(r.steps[3].threshold < d1 && r.steps[3].threshold >= d1 - 10);
  /* each later step exactly one default step (10 ps) below the one before, the rejected one included */
  for (int k = 4; k < 6; k++) assert_true(fabs(r.steps[k].threshold - (r.steps[k - 1].threshold - 10)) < 1e-9);
  for (int k = 3; k < 6; k++) {
    assert_true(r.steps[k].max_delay_ps <= r.steps[k].threshold);
    for (int i = 0; i < 255; i++) assert_true(!s.W[k][i] || s.W[1][i]); /* within the power set */
  }
  /* every retraining continues from the last accepted step */
  assert_string_equal(s.from[0], "");
  assert_string_equal(s.from[1], "power-00");
  assert_string_equal(s.from[2], "power-01");
  assert_string_equal(s.from[3], "power-01");
  assert_string_equal(s.from[4], "delay-00");
  assert_string_equal(s.from[5], "delay-01");
  /* kept: the last accepted delay step */
  assert_string_equal(r.best_tag, "delay-01");
  assert_true(r.accuracy == 89.2);
  assert_memory_equal(r.W, s.W[4], 255);
  assert_memory_equal(r.A, s.A[4], 256);
  assert_true(r.max_delay_ps == r.steps[4].max_delay_ps);
  assert_true(r.max_delay_ps < r.max_delay_full_ps);
}

static void test_count_schedule(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const double acc[] = {90, 90, 90, 90};
  script s = {.acc = acc};
  pp_retrain_ops ops = {&s, cb_script, NULL, NULL, NULL}; /* no delay phase */
  pp_retrain_opts o;
  pp_retrain_opts_default(&o);
  o.base_accuracy = 90;
  o.power_uw = p;
  const int counts[] = {128, 64, 32};
  o.power_counts = counts;
  o.n_power_counts = 3;
  pp_retrain_result r;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
  assert_int_equal(r.nsteps, 3);
  for (int k = 0; k < 3; k++) {
    /* the cheapest values: a value is kept exactly when it is no dearer than the threshold */
    int n = r.steps[k].n_weights;
    assert_true(n == counts[k] || n == counts[k] + 1); /* +w and -w cost the same here */
    for (int i = 0; i < 255; i++) assert_int_equal(s.W[k][i] != 0, i == 127 || p[i] <= r.steps[k].threshold);
  }
  assert_string_equal(r.best_tag, "power-02");
  /* a count out of range is an error */
  const int bad[] = {300};
  o.power_counts = bad;
  o.n_power_counts = 1;
  s.calls = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_EINVAL);
}

static void test_nothing_accepted_keeps_start(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const double acc[] = {50, 50, 50};
  script s = {.acc = acc};
  pp_retrain_ops ops = {&s, cb_script, cb_select, cb_max_delay, NULL};
  pp_retrain_opts o;
  pp_retrain_opts_default(&o);
  o.base_accuracy = 90;
  o.start_accuracy = 88.5; /* e.g. after pruning */
  o.power_uw = p;
  pp_retrain_result r;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
  /* power step rejected; delay phase runs from all weights and is rejected too */
  assert_int_equal(s.calls, 2);
  assert_string_equal(r.best_tag, "");
  assert_int_equal(pp_retrain_count(r.W, 255), 255);
  assert_int_equal(pp_retrain_count(r.A, 256), 256);
  assert_true(r.accuracy == 88.5); /* the starting network's, not the reference's */
  /* bad options are errors, not crashes */
  o.tolerance = -1;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_EINVAL);
}

/* ---- real training on synthetic data ---- */
#define NF 16
#define NC 4
#define NTR 800
#define NTE 400
typedef struct {
  float xtr[NTR][NF], xte[NTE][NF];
  int ytr[NTR], yte[NTE];
  float w[NC][NF];          /* float master weights */
  float ckpt[64][NC][NF];   /* model per step, for from_tag */
  char tags[64][32];
  int nck;
  int trained;
} synth;

static void synth_make(synth *s, uint64_t seed) {
  pp_rng r;
  pp_rng_seed(&r, seed);
  float centers[NC][NF];
  for (int c = 0; c < NC; c++)
    for (int f = 0; f < NF; f++) centers[c][f] = (float)(pp_rng_normal(&r) * 1.2);
  for (int i = 0; i < NTR + NTE; i++) {
    int c = (int)pp_rng_below(&r, NC);
    float *x = i < NTR ? s->xtr[i] : s->xte[i - NTR];
    for (int f = 0; f < NF; f++) x[f] = centers[c][f] + (float)pp_rng_normal(&r);
    if (i < NTR) s->ytr[i] = c;
    else s->yte[i - NTR] = c;
  }
  for (int c = 0; c < NC; c++)
    for (int f = 0; f < NF; f++) s->w[c][f] = (float)(pp_rng_normal(&r) * 0.01);
}

/* Weight level: symmetric int8 with a fixed scale, snapped to the nearest allowed level. */
static float snap(float w, const uint8_t *W) {
  const float scale = 1.0f / 64;
  int q = (int)lrintf(w / scale);
  if (q > 127) q = 127;
  if (q < -127) q = -127;
  int best = 0;
  for (int d = 0; d <= 254; d++) {
    if (q - d >= -127 && W[q - d + 127]) { best = q - d; break; }
    if (q + d <= 127 && W[q + d + 127]) { best = q + d; break; }
  }
  return best * scale;
}

static double synth_eval(synth *s, const uint8_t *W) {
  int ok = 0;
  for (int i = 0; i < NTE; i++) {
    int arg = 0;
    float bestv = -1e30f;
    for (int c = 0; c < NC; c++) {
      float z = 0;
      for (int f = 0; f < NF; f++) z += snap(s->w[c][f], W) * s->xte[i][f];
      if (z > bestv) bestv = z, arg = c;
    }
    ok += arg == s->yte[i];
  }
  return 100.0 * ok / NTE;
}

static void synth_train(synth *s, const uint8_t *W, int epochs) {
  for (int ep = 0; ep < epochs; ep++)
    for (int i = 0; i < NTR; i++) {
      float z[NC], m = -1e30f, sum = 0;
      for (int c = 0; c < NC; c++) {
        z[c] = 0;
        for (int f = 0; f < NF; f++) z[c] += (W ? snap(s->w[c][f], W) : s->w[c][f]) * s->xtr[i][f];
        if (z[c] > m) m = z[c];
      }
      for (int c = 0; c < NC; c++) sum += (z[c] = expf(z[c] - m));
      for (int c = 0; c < NC; c++) {
        float g = z[c] / sum - (c == s->ytr[i]); /* straight-through: the snap is skipped */
        for (int f = 0; f < NF; f++) s->w[c][f] -= 0.01f * g * s->xtr[i][f];
      }
    }
}

static int cb_synth(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                    pp_err *e) {
  (void)A;
  synth *s = u;
  if (from) {
    int k = 0;
    while (k < s->nck && strcmp(s->tags[k], from)) k++;
    if (k == s->nck) return pp_err_set(e, PP_EINVAL, "", 0, "unknown step %s", from);
    memcpy(s->w, s->ckpt[k], sizeof s->w);
  } else memcpy(s->w, s->ckpt[0], sizeof s->w);
  synth_train(s, W, 3);
  s->trained++;
  *acc = synth_eval(s, W);
  snprintf(s->tags[s->nck], 32, "%s", tag);
  memcpy(s->ckpt[s->nck++], s->w, sizeof s->w);
  return PP_OK;
}

static void test_real_training(void **st) {
  (void)st;
  static synth s;
  memset(&s, 0, sizeof s);
  synth_make(&s, 7);
  synth_train(&s, NULL, 5);
  uint8_t all[255];
  memset(all, 1, sizeof all);
  double base = synth_eval(&s, all);
  assert_true(base > 80); /* the classes are separable enough */
  snprintf(s.tags[0], 32, "start");
  memcpy(s.ckpt[0], s.w, sizeof s.w);
  s.nck = 1;
  double p[255];
  make_power(p);
  pp_retrain_ops ops = {&s, cb_synth, cb_select, cb_max_delay, NULL};
  pp_retrain_opts o;
  pp_retrain_opts_default(&o);
  o.base_accuracy = base;
  o.tolerance = 2.0;
  o.power_tolerance = 1.0;
  o.power_uw = p;
  o.power_divisions = 8;
  pp_retrain_result r;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
  for (int k = 0; getenv("PP_DEBUG") && k < r.nsteps; k++) fprintf(stderr, "%s thr=%g nw=%d na=%d d=%g acc=%g %d\n", r.steps[k].tag, r.steps[k].threshold, r.steps[k].n_weights, r.steps[k].n_acts, r.steps[k].max_delay_ps, r.steps[k].accuracy, r.steps[k].accepted);
  assert_int_equal(s.trained, r.nsteps);
  /* it went somewhere: fewer weights, lower delay, accuracy within tolerance */
  assert_true(pp_retrain_count(r.W, 255) < 255);
  assert_true(r.accuracy >= base - o.tolerance);
  assert_true(r.max_delay_ps < r.max_delay_full_ps);
  assert_true(r.max_delay_ps == set_delay(r.W, r.A));
  /* the kept step is accepted; in each phase only the last step may be rejected */
  for (int k = 0; k < r.nsteps; k++) {
    int last_of_phase = k == r.nsteps - 1 || r.steps[k + 1].phase != r.steps[k].phase;
    if (!last_of_phase) assert_true(r.steps[k].accepted);
    if (!strcmp(r.steps[k].tag, r.best_tag)) assert_true(r.steps[k].accepted && r.steps[k].accuracy == r.accuracy);
  }
  /* same inputs, same result */
  static synth s2;
  memset(&s2, 0, sizeof s2);
  synth_make(&s2, 7);
  synth_train(&s2, NULL, 5);
  snprintf(s2.tags[0], 32, "start");
  memcpy(s2.ckpt[0], s2.w, sizeof s2.w);
  s2.nck = 1;
  ops.user = &s2;
  pp_retrain_result r2;
  assert_int_equal(pp_retrain_run(&o, &ops, &r2, &e), PP_OK);
  assert_int_equal(r2.nsteps, r.nsteps);
  assert_memory_equal(r2.W, r.W, 255);
  assert_true(r2.accuracy == r.accuracy);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scripted_sequence),
      cmocka_unit_test(test_count_schedule),
      cmocka_unit_test(test_nothing_accepted_keeps_start),
      cmocka_unit_test(test_real_training),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
