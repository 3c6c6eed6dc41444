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
static int cb_select(void *u, double thr, const char *from, const uint8_t *Win, uint8_t *Wout, uint8_t *Aout, double *md, pp_err *e) {
  (void)u;
  (void)e;
  (void)from;
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
  pp_retrain_ops ops = {&s, cb_script, cb_select, cb_max_delay, NULL, NULL, NULL};
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
  pp_retrain_ops ops = {&s, cb_script, NULL, NULL, NULL, NULL, NULL}; /* no delay phase */
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
  pp_retrain_ops ops = {&s, cb_script, cb_select, cb_max_delay, NULL, NULL, NULL};
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

/* ---- bisection after a failed step, on a trainer whose accuracy is a function of the sets ---- */
typedef struct {
  int min_w;        /* accuracy holds while at least this many weight values remain */
  double min_delay; /* ... and while the set's max delay is at least this */
  int calls;
} fn_trainer;

static int cb_fn(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                 pp_err *e) {
  (void)tag;
  (void)from;
  (void)e;
  fn_trainer *t = u;
  t->calls++;
  *acc = pp_retrain_count(W, 255) >= t->min_w && set_delay(W, A) >= t->min_delay ? 90.0 : 80.0;
  return PP_OK;
}

static void check_budget(const pp_retrain_result *r, double start) {
  assert_true(r->start_accuracy == start);
  assert_true(fabs(r->spent_power + r->spent_delay + r->spent_sparsity - (r->start_accuracy - r->accuracy)) < 1e-12);
  double pa = r->start_accuracy;
  for (int k = 0; k < r->nsteps; k++)
    if (r->steps[k].phase == 0 && r->steps[k].accepted) pa = r->steps[k].accuracy;
  assert_true(fabs(r->spent_power - (r->start_accuracy - pa)) < 1e-12);
}

static void test_power_bisection(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const int counts[] = {128, 32};
  for (int refine = 0; refine <= 5; refine++) {
    fn_trainer t = {.min_w = 70, .min_delay = 0};
    pp_retrain_ops ops = {&t, cb_fn, NULL, NULL, NULL, NULL, NULL};
    pp_retrain_opts o;
    pp_retrain_opts_default(&o);
    o.base_accuracy = 90;
    o.start_accuracy = 89.5;
    o.power_uw = p;
    o.power_counts = counts;
    o.n_power_counts = 2;
    o.refine_retrains = refine;
    pp_retrain_result r;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
    /* the ladder: 128 kept, 32 failed; then at most `refine` bisection retrains */
    assert_true(r.steps[0].accepted && !r.steps[0].refine && r.steps[0].n_weights >= 128);
    assert_true(!r.steps[1].accepted && !r.steps[1].refine && r.steps[1].n_weights <= 33);
    assert_int_equal(r.refine_used[0], r.nsteps - 2);
    assert_true(r.refine_used[0] <= refine);
    assert_int_equal(t.calls, r.nsteps);
    if (refine) assert_true(r.refine_used[0] >= 1);
    /* every bisection step lies strictly between the accepted and the failed count so far */
    int acc_n = r.steps[0].n_weights, fail_n = r.steps[1].n_weights, best_n = acc_n;
    for (int k = 2; k < r.nsteps; k++) {
      const pp_retrain_step *s = &r.steps[k];
      assert_true(s->refine && s->phase == 0);
      assert_true(s->n_weights < acc_n && s->n_weights > fail_n);
      assert_int_equal(s->accepted, s->n_weights >= 70);
      if (s->accepted) acc_n = best_n = s->n_weights;
      else fail_n = s->n_weights;
    }
    /* kept: the smallest accepted set; with enough retrains the bisection closes on 70 */
    assert_int_equal(pp_retrain_count(r.W, 255), best_n);
    assert_true(r.accuracy == 90.0);
    if (refine >= 5) assert_true(best_n <= 72);
    if (refine >= 1) assert_true(best_n < 128);
    check_budget(&r, 89.5);
    assert_true(r.spent_power == -0.5 && r.spent_delay == 0);
  }
}

static void test_delay_bisection(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const int counts[] = {200};
  for (int refine = 0; refine <= 4; refine++) {
    fn_trainer t = {.min_w = 1, .min_delay = 151};
    pp_retrain_ops ops = {&t, cb_fn, cb_select, cb_max_delay, NULL, NULL, NULL};
    pp_retrain_opts o;
    pp_retrain_opts_default(&o);
    o.base_accuracy = 90;
    o.tolerance = 1;
    o.power_tolerance = 0.5;
    o.power_uw = p;
    o.power_counts = counts;
    o.n_power_counts = 1;
    o.refine_retrains = refine;
    pp_retrain_result r;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
    assert_true(r.steps[0].phase == 0 && r.steps[0].accepted);
    double t_acc = INFINITY, t_fail = -INFINITY;
    int ladder_fail = -1;
    for (int k = 1; k < r.nsteps; k++) {
      const pp_retrain_step *s = &r.steps[k];
      assert_int_equal(s->phase, 1);
      assert_true(s->max_delay_ps <= s->threshold);
      assert_int_equal(s->accepted, s->max_delay_ps >= 151);
      if (!s->refine) {
        /* the ladder: 10 ps apart, stopped at its first failure */
        assert_true(fmod(s->threshold, 10) == 0);
        assert_int_equal(ladder_fail, -1);
        if (s->accepted) t_acc = s->threshold;
        else t_fail = s->threshold, ladder_fail = k;
      } else {
        assert_true(ladder_fail > 0 && k > ladder_fail);
        assert_true(s->threshold < t_acc && s->threshold > t_fail);
        if (s->accepted) t_acc = s->threshold;
        else t_fail = s->threshold;
      }
    }
    assert_true(ladder_fail > 0);
    assert_int_equal(r.refine_used[1], r.nsteps - 1 - ladder_fail);
    assert_true(r.refine_used[1] <= refine);
    /* kept: the accepted step with the lowest threshold, whose set is under 151 + a step finer than 10 ps */
    double best = INFINITY;
    for (int k = 1; k < r.nsteps; k++)
      if (r.steps[k].accepted && r.steps[k].threshold < best) best = r.steps[k].threshold;
    assert_true(r.delay_threshold_ps == best);
    assert_true(r.max_delay_ps <= best && r.max_delay_ps >= 151);
    if (refine >= 3) assert_true(fmod(best, 10) != 0 && best < 160);
    check_budget(&r, 90);
  }
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
  pp_retrain_ops ops = {&s, cb_synth, cb_select, cb_max_delay, NULL, NULL, NULL};
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

/* Trainer for the delay starts: a network of 40 or more weight values takes any restriction; below 40 only with
 * every activation allowed (so the power phase reaches 24 values, and a delay step from there always fails). */
static int cb_starts(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                     pp_err *e) {
  (void)tag;
  (void)from;
  (void)e;
  (*(int *)u)++;
  *acc = pp_retrain_count(W, 255) >= 40 || pp_retrain_count(A, 256) == 256 ? 90.0 : 80.0;
  return PP_OK;
}

static int cb_cost_delay(void *u, const uint8_t *W, const uint8_t *A, double md, double *cost, pp_err *e) {
  (void)u;
  (void)W;
  (void)A;
  (void)e;
  *cost = md;
  return PP_OK;
}

/* delay_starts: the delay phase also runs from earlier power steps, and the kept result is the lowest score over
 * all of them; one start is the paper's way; the budget still adds up from the start the kept step came from. */
static void test_delay_starts(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const int counts[] = {192, 96, 48, 24};
  pp_retrain_result one, three, noscore;
  for (int k = 0; k < 3; k++) {
    int calls = 0;
    pp_retrain_ops ops = {&calls, cb_starts, cb_select, cb_max_delay, NULL, k == 2 ? NULL : cb_cost_delay, NULL};
    pp_retrain_opts o;
    pp_retrain_opts_default(&o);
    o.base_accuracy = 90;
    o.tolerance = 1;
    o.power_tolerance = 0.5;
    o.power_uw = p;
    o.power_counts = counts;
    o.n_power_counts = 4;
    o.delay_starts = k == 0 ? 1 : 3;
    pp_retrain_result *r = k == 0 ? &one : k == 1 ? &three : &noscore;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_retrain_run(&o, &ops, r, &e), PP_OK);
    assert_int_equal(calls, r->nsteps);
    /* tags stay unique over all the delay phases */
    for (int i = 0; i < r->nsteps; i++)
      for (int j = i + 1; j < r->nsteps; j++) assert_string_not_equal(r->steps[i].tag, r->steps[j].tag);
  }
  /* one start: the power phase's 24 values leave no delay step that holds */
  assert_int_equal(pp_retrain_count(one.W, 255), one.steps[3].n_weights); /* 24 cheapest, ties kept */
  assert_true(one.steps[3].n_weights < 40);
  assert_true(isnan(one.delay_threshold_ps));
  assert_true(one.max_delay_ps == one.steps[3].max_delay_ps);
  assert_string_equal(one.delay_from_tag, "power-03");
  /* three starts: an earlier power step leads to a lower delay, which the score prefers; no accepted delay step
   * of any start is lower */
  assert_string_not_equal(three.delay_from_tag, "power-03");
  assert_true(!strcmp(three.delay_from_tag, "power-02") || !strcmp(three.delay_from_tag, "power-01"));
  for (int i = 0; i < three.nsteps; i++)
    if (three.steps[i].phase == 1 && three.steps[i].accepted) assert_true(three.steps[i].max_delay_ps >= three.max_delay_ps);
  assert_true(three.max_delay_ps < one.max_delay_ps);
  assert_true(three.score == three.max_delay_ps);
  assert_true(isfinite(three.delay_threshold_ps));
  assert_true(pp_retrain_count(three.W, 255) >= 40);
  assert_true(fabs(three.power_accuracy - 90.0) < 1e-12);
  assert_true(fabs(three.spent_power + three.spent_delay - (three.start_accuracy - three.accuracy)) < 1e-12);
  /* the kept step is an accepted delay step that started from power-02 */
  int found = 0;
  for (int i = 0; i < three.nsteps; i++)
    if (!strcmp(three.steps[i].tag, three.best_tag)) found = three.steps[i].accepted && three.steps[i].phase == 1;
  assert_true(found);
  /* without a score: the lowest max delay, the same choice here */
  assert_true(isnan(noscore.score));
  assert_true(noscore.max_delay_ps == three.max_delay_ps);
}

/* ---- phase 3: sparsity, on a pruning trainer whose accuracy falls past a knee ---- */
typedef struct {
  double knee; /* accuracy 90 up to this sparsity, then 2 points per 0.01 */
  int calls, prunes;
  double last_sparsity;
  char from[32];
  uint8_t W[255], A[256];
} prune_trainer;

static int cb_pt_train(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                       pp_err *e) {
  (void)tag, (void)from, (void)W, (void)A, (void)e;
  prune_trainer *t = u;
  t->calls++;
  *acc = 89.8; /* every power and delay step holds */
  return PP_OK;
}

static int cb_pt_prune(void *u, const char *tag, const char *from, double sparsity, const uint8_t *W,
                       const uint8_t *A, double *acc, pp_err *e) {
  (void)tag, (void)e;
  prune_trainer *t = u;
  t->calls++;
  t->prunes++;
  /* sparsity only goes up, from the kept model, within the kept sets */
  assert_true(sparsity > t->last_sparsity - 0.2);
  snprintf(t->from, sizeof t->from, "%s", from ? from : "");
  memcpy(t->W, W, 255);
  memcpy(t->A, A, 256);
  *acc = sparsity <= t->knee + 1e-9 ? 89.8 - (sparsity - 0.5) : 90.0 - 200 * (sparsity - t->knee);
  t->last_sparsity = sparsity;
  return PP_OK;
}

static void test_sparsity_phase(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const int counts[] = {64};
  for (int refine = 0; refine <= 3; refine++) {
    prune_trainer t = {.knee = 0.72};
    pp_retrain_ops ops = {&t, cb_pt_train, cb_select, cb_max_delay, NULL, NULL, cb_pt_prune};
    pp_retrain_opts o;
    pp_retrain_opts_default(&o);
    o.base_accuracy = 90;
    o.start_accuracy = 89.9;
    o.tolerance = 1.0;
    o.power_uw = p;
    o.power_counts = counts;
    o.n_power_counts = 1;
    o.delay_max_steps = 1;
    o.refine_retrains = refine;
    o.sparsity_start = 0.5;
    pp_retrain_result r;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
    /* the ladder 0.55, 0.60, 0.65, 0.70 holds, 0.75 fails; bisection then closes in steps of 0.01 */
    int nl = 0, nb = 0;
    double s_acc = 0.5, s_fail = 1;
    char kept_before[32] = "";
    for (int k = 0; k < r.nsteps; k++) {
      const pp_retrain_step *s = &r.steps[k];
      if (s->phase != 2) {
        if (s->accepted) snprintf(kept_before, sizeof kept_before, "%s", s->tag);
        continue;
      }
      /* a fail is tried again only from a newer network than the one it failed from (test_sparsity_retry) */
      assert_true(s->threshold > s_acc && s->threshold < s_fail + 1e-9);
      assert_int_equal(s->accepted, s->threshold <= 0.72 + 1e-9);
      /* the sets and the max delay of the delay phase's result stand */
      assert_true(s->max_delay_ps == r.max_delay_ps);
      if (s->refine) nb++;
      else nl++;
      if (s->accepted) s_acc = s->threshold;
      else s_fail = s->threshold;
    }
    assert_int_equal(nl, 5);
    assert_int_equal(nb, r.refine_used[2]);
    assert_true(nb <= refine);
    assert_true(fabs(r.sparsity - s_acc) < 1e-12);
    if (refine == 0) assert_true(fabs(r.sparsity - 0.70) < 1e-9);
    if (refine >= 2) assert_true(fabs(r.sparsity - 0.72) < 1e-9);
    assert_true(strncmp(r.best_tag, "sparsity-", 9) == 0);
    assert_true(kept_before[0] != 0); /* the first prune started from the delay phase's kept step */
    assert_true(fabs(r.accuracy - (89.8 - (r.sparsity - 0.5))) < 1e-9);
    assert_int_equal(pp_retrain_count(t.W, 255), pp_retrain_count(r.W, 255));
    check_budget(&r, 89.9);
    assert_true(fabs(r.spent_sparsity - (r.delay_accuracy - r.accuracy)) < 1e-12);
    assert_true(r.spent_sparsity > 0);
  }
  /* without a starting sparsity, or without the callback, there is no phase 3 */
  prune_trainer t = {.knee = 0.72};
  pp_retrain_ops ops = {&t, cb_pt_train, NULL, NULL, NULL, NULL, cb_pt_prune};
  pp_retrain_opts o;
  pp_retrain_opts_default(&o);
  o.base_accuracy = 90;
  o.power_uw = p;
  o.power_counts = counts;
  o.n_power_counts = 1;
  pp_retrain_result r;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
  assert_int_equal(t.prunes, 0);
  assert_true(isnan(r.sparsity) && r.spent_sparsity == 0);
  o.sparsity_start = 1.0; /* not a sparsity a network can start from */
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_EINVAL);
}

/* ---- phase 3 on a pruner whose accuracy depends on how far each step prunes past the network it starts from:
 * a jump of more than 0.03 past 0.60 fails, and nothing above 0.68 holds. A fail is retried from the newest kept
 * network once the bisection has closed in on it, never twice from the same one. ---- */
typedef struct {
  int n;
  char tag[64][32];
  double sp[64];
  char from[64][32];
  int ok[64];
} jump_pruner;

static int cb_jump_prune(void *u, const char *tag, const char *from, double sparsity, const uint8_t *W,
                         const uint8_t *A, double *acc, pp_err *e) {
  (void)W, (void)A, (void)e;
  jump_pruner *t = u;
  assert_true(t->n < 64);
  double base = 0.5;
  for (int i = 0; from && i < t->n; i++)
    if (strcmp(t->tag[i], from) == 0) base = t->sp[i];
  int ok = sparsity <= 0.68 + 1e-9 && (sparsity <= 0.60 + 1e-9 || sparsity - base <= 0.03 + 1e-9);
  *acc = ok ? 89.5 : 88.5;
  snprintf(t->tag[t->n], sizeof t->tag[0], "%s", tag);
  snprintf(t->from[t->n], sizeof t->from[0], "%s", from ? from : "");
  t->sp[t->n] = sparsity;
  t->ok[t->n++] = ok;
  return PP_OK;
}

static int cb_jt_train(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                       pp_err *e) {
  (void)u, (void)tag, (void)from, (void)W, (void)A, (void)e;
  *acc = 89.8; /* the power step holds */
  return PP_OK;
}

static void test_sparsity_retry(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const int counts[] = {64};
  /* refine budget -> the sparsity reached: 0.55, 0.60 hold, 0.65 from 0.60 fails; 0.63, 0.64 hold; then 0.65
   * again from 0.64, 0.66, 0.67, 0.68 hold, 0.69 fails whatever it starts from */
  const struct {
    int refine;
    double sparsity;
    int used;
  } want[] = {{1, 0.63, 1}, {2, 0.64, 2}, {3, 0.65, 3}, {4, 0.66, 4}, {6, 0.68, 6}, {9, 0.68, 7}};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    jump_pruner t = {0};
    pp_retrain_ops jops = {&t, cb_jt_train, NULL, NULL, NULL, NULL, cb_jump_prune};
    pp_retrain_opts o;
    pp_retrain_opts_default(&o);
    o.base_accuracy = 90;
    o.start_accuracy = 89.9;
    o.tolerance = 1.0;
    o.power_uw = p;
    o.power_counts = counts;
    o.n_power_counts = 1;
    o.refine_retrains = want[k].refine;
    o.sparsity_start = 0.5;
    pp_retrain_result r;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_retrain_run(&o, &jops, &r, &e), PP_OK);
    assert_true(fabs(r.sparsity - want[k].sparsity) < 1e-9);
    assert_int_equal(r.refine_used[2], want[k].used);
    /* the pruner's verdicts are the ladder's, and no (sparsity, start) pair is tried twice */
    int np = 0;
    for (int i = 0; i < r.nsteps; i++) {
      if (r.steps[i].phase != 2) continue;
      assert_true(np < t.n);
      assert_int_equal(r.steps[i].accepted, t.ok[np]);
      for (int j = 0; j < np; j++)
        assert_false(fabs(t.sp[j] - t.sp[np]) < 1e-9 && strcmp(t.from[j], t.from[np]) == 0);
      np++;
    }
    assert_int_equal(np, t.n);
  }
}

/* The activation floor: no delay step keeps fewer activation values than min_acts. */
static void test_min_acts(void **st) {
  (void)st;
  double p[255];
  make_power(p);
  const int counts[] = {64};
  for (int floor_a = 0; floor_a <= 250; floor_a += 50) {
    fn_trainer t = {.min_w = 0, .min_delay = 0};
    pp_retrain_ops ops = {&t, cb_fn, cb_select, cb_max_delay, NULL, NULL, NULL};
    pp_retrain_opts o;
    pp_retrain_opts_default(&o);
    o.base_accuracy = 90;
    o.power_uw = p;
    o.power_counts = counts;
    o.n_power_counts = 1;
    o.min_acts = floor_a;
    o.refine_retrains = 2;
    pp_retrain_result r;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_OK);
    int nd = 0;
    for (int k = 0; k < r.nsteps; k++)
      if (r.steps[k].phase == 1) nd++, assert_true(r.steps[k].n_acts >= (floor_a > 2 ? floor_a : 2));
    assert_true(pp_retrain_count(r.A, 256) >= (floor_a > 2 ? floor_a : 2));
    if (floor_a == 0) {
      int lo = 256;
      for (int k = 0; k < r.nsteps; k++)
        if (r.steps[k].phase == 1 && r.steps[k].n_acts < lo) lo = r.steps[k].n_acts;
      assert_true(nd > 0 && lo < 200); /* without a floor the selector does drop activations */
    }
  }
  pp_retrain_opts o;
  pp_retrain_opts_default(&o);
  o.power_uw = p;
  o.min_acts = 257;
  fn_trainer t = {0};
  pp_retrain_ops ops = {&t, cb_fn, NULL, NULL, NULL, NULL, NULL};
  pp_retrain_result r;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_retrain_run(&o, &ops, &r, &e), PP_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scripted_sequence),
      cmocka_unit_test(test_count_schedule),
      cmocka_unit_test(test_nothing_accepted_keeps_start),
      cmocka_unit_test(test_power_bisection),
      cmocka_unit_test(test_delay_bisection),
      cmocka_unit_test(test_delay_starts),
      cmocka_unit_test(test_sparsity_phase),
      cmocka_unit_test(test_sparsity_retry),
      cmocka_unit_test(test_min_acts),
      cmocka_unit_test(test_real_training),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
