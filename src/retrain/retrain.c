/* retrain/retrain: the power-threshold and delay-threshold loops with
 * retraining (paper III-C). Pure control logic over callbacks, so that the
 * order of steps, what is accepted and what is kept is tested on its own. */
#include "pp/retrain.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void pp_retrain_opts_default(pp_retrain_opts *o) {
  memset(o, 0, sizeof *o);
  o->tolerance = 1.0;
  o->power_tolerance = 0.5;
  o->power_start_uw = NAN;
  o->power_step_uw = NAN;
  o->start_accuracy = NAN;
  o->sparsity_start = NAN;
}

int pp_retrain_power_set(const double *power_uw, double thr_uw, uint8_t *W) {
  int n = 0;
  for (int i = 0; i < PP_RETRAIN_NW; i++) {
    W[i] = i == 127 || power_uw[i] <= thr_uw;
    n += W[i];
  }
  return n;
}

int pp_retrain_count(const uint8_t *set, int n) {
  int c = 0;
  for (int i = 0; i < n; i++) c += set[i] != 0;
  return c;
}

static int add_step(pp_retrain_result *r, const pp_retrain_ops *ops, const pp_retrain_step *s, pp_err *e) {
  if (r->nsteps >= PP_RETRAIN_MAX_STEPS)
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: more than %d steps", PP_RETRAIN_MAX_STEPS);
  r->steps[r->nsteps++] = *s;
  if (ops->on_step) ops->on_step(ops->user, s);
  return PP_OK;
}

static int same(const uint8_t *a, const uint8_t *b, int n) {
  for (int i = 0; i < n; i++)
    if ((a[i] != 0) != (b[i] != 0)) return 0;
  return 1;
}

/* Trains one step from the best accepted model and, when accepted, makes it the
 * kept result. W and A are the step's sets; thr its threshold; phase 2 prunes
 * to sparsity thr first. */
static const char *const phase_name[3] = {"power", "delay", "sparsity"};

static int try_step(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, int phase, int *idx,
                    int refine, double thr, const uint8_t *W, const uint8_t *A, double md, int *accepted, pp_err *e) {
  pp_retrain_step s = {0};
  s.phase = phase;
  s.index = (*idx)++;
  s.refine = refine;
  snprintf(s.tag, sizeof s.tag, "%s-%02d", phase_name[phase], s.index);
  s.threshold = thr;
  s.n_weights = pp_retrain_count(W, PP_RETRAIN_NW);
  s.n_acts = pp_retrain_count(A, PP_RETRAIN_NA);
  s.max_delay_ps = md;
  const char *from = r->best_tag[0] ? r->best_tag : NULL;
  int rc = phase == 2 ? ops->prune(ops->user, s.tag, from, thr, W, A, &s.accuracy, e)
                      : ops->train(ops->user, s.tag, from, W, A, &s.accuracy, e);
  if (rc) return rc;
  s.accepted = s.accuracy >= o->base_accuracy - (phase ? o->tolerance : o->power_tolerance);
  if ((rc = add_step(r, ops, &s, e))) return rc;
  *accepted = s.accepted;
  if (!s.accepted) return PP_OK;
  if (W != r->W) memcpy(r->W, W, sizeof r->W);
  if (A != r->A) memcpy(r->A, A, sizeof r->A);
  r->accuracy = s.accuracy;
  r->max_delay_ps = md;
  if (phase == 2) r->sparsity = thr;
  else if (phase) r->delay_threshold_ps = thr;
  else r->power_threshold_uw = thr;
  r->accepted_steps++;
  snprintf(r->best_tag, sizeof r->best_tag, "%s", s.tag);
  return PP_OK;
}

/* after_phase: 0 power, 1 delay, 2 sparsity; the phases not yet run spent nothing */
static void budget(pp_retrain_result *r, int after_phase) {
  if (after_phase == 0) r->power_accuracy = r->accuracy;
  if (after_phase <= 1) r->delay_accuracy = r->accuracy;
  r->spent_power = r->start_accuracy - r->power_accuracy;
  r->spent_delay = r->power_accuracy - r->delay_accuracy;
  r->spent_sparsity = r->delay_accuracy - r->accuracy;
}

/* Phase 3 from the kept state of r: sparsity up by step while the accuracy
 * holds, then bisection in steps of 0.01. */
static int sparsity_phase(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, int refine,
                          pp_err *e) {
  const double fine = 0.01;
  double step = o->sparsity_step > 0 ? o->sparsity_step : 0.05;
  double smax = o->sparsity_max > 0 ? o->sparsity_max : 0.95;
  int max_steps = o->sparsity_max_steps > 0 ? o->sparsity_max_steps : 8;
  uint8_t W[PP_RETRAIN_NW], A[PP_RETRAIN_NA];
  memcpy(W, r->W, sizeof W);
  memcpy(A, r->A, sizeof A);
  double s_acc = o->sparsity_start, s_fail = NAN, md = r->max_delay_ps;
  int idx = 0, ok, rc;
  for (int k = 1; k <= max_steps; k++) {
    double s = o->sparsity_start + k * step;
    if (s > smax + 1e-9) break;
    if ((rc = try_step(o, ops, r, 2, &idx, 0, s, W, A, md, &ok, e))) return rc;
    if (!ok) {
      s_fail = s;
      break;
    }
    s_acc = s;
  }
  /* fail_from: the network the failed sparsity was pruned from. One retrain's accuracy varies by about half a
   * point, and a fail pruned from an older, sparser-by-less network says little once the bisection has closed in
   * on it: with budget left, the fail is tried again from the newest kept network, and on success the next fine
   * step above it too (r15 default run: 0.65 from 0.60 failed at 88.82%, 0.64 from 0.63 passed at 89.84%). */
  char fail_from[sizeof r->best_tag];
  snprintf(fail_from, sizeof fail_from, "%s", r->best_tag);
  while (!isnan(s_fail) && r->refine_used[2] < refine) {
    double s;
    if (s_fail - s_acc > fine + 1e-9) {
      s = s_acc + fine * floor((s_fail - s_acc) / (2 * fine) + 0.5);
      if (s <= s_acc + 1e-9) s = s_acc + fine;
    } else if (strcmp(fail_from, r->best_tag) != 0) s = s_fail;
    else break;
    if ((rc = try_step(o, ops, r, 2, &idx, 1, s, W, A, md, &ok, e))) return rc;
    r->refine_used[2]++;
    if (!ok) {
      s_fail = s;
      snprintf(fail_from, sizeof fail_from, "%s", r->best_tag);
      continue;
    }
    s_acc = s;
    if (s >= s_fail - 1e-9) {
      /* the retried fail passed: the next fine step is untried, so no network has failed it yet */
      s_fail = s + fine;
      fail_from[0] = '\0';
      if (s_fail > smax + 1e-9) break;
    }
  }
  return PP_OK;
}

/* Threshold of power setting t: the count of cheapest values (counts
 * schedule) or the µW value itself. */
static double power_thr(const pp_retrain_opts *o, const double *sorted, double t) {
  return o->power_counts ? sorted[(int)t - 1] : t;
}

static int delay_select(const pp_retrain_ops *ops, const pp_retrain_result *r, double thr, const uint8_t *W0,
                        uint8_t *Wd, uint8_t *Ad, double *md, int min_w, int min_a, int *feasible, pp_err *e) {
  *md = NAN;
  int rc = ops->select_delay(ops->user, thr, r->best_tag[0] ? r->best_tag : NULL, W0, Wd, Ad, md, e);
  if (rc) return rc;
  Wd[127] = 1; /* zero is always allowed (pruned weights) */
  Ad[0] = 1;
  *feasible = pp_retrain_count(Wd, PP_RETRAIN_NW) >= min_w && pp_retrain_count(Ad, PP_RETRAIN_NA) >= min_a;
  return PP_OK;
}

/* Phase 2 from the kept state of r (the power step it starts from): lowers
 * the delay threshold by dstep while the accuracy holds, then bisects; every
 * accepted step becomes r's kept state. idx numbers the steps of all runs. */
static int delay_phase(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, int *idx, int min_w,
                       int min_a,
                       double dstep, double dmin, int dmax_steps, int refine, pp_err *e) {
  uint8_t W0[PP_RETRAIN_NW], Wd[PP_RETRAIN_NW], Ad[PP_RETRAIN_NA], A[PP_RETRAIN_NA], lastW[PP_RETRAIN_NW];
  uint8_t failW[PP_RETRAIN_NW], failA[PP_RETRAIN_NA];
  memcpy(W0, r->W, sizeof W0);
  double d0;
  int rc, ok;
  memset(A, 1, sizeof A);
  if ((rc = ops->max_delay(ops->user, W0, A, &d0, e))) return rc;
  if (!isfinite(d0)) return PP_OK; /* nothing to lower */
  /* the largest multiple of the step strictly below the current max delay */
  double thr0 = ceil(d0 / dstep - 1e-9) * dstep - dstep;
  memcpy(lastW, W0, sizeof lastW);
  uint8_t lastA[PP_RETRAIN_NA];
  memcpy(lastA, A, sizeof lastA);
  int have_fail = 0;
  double t_acc = d0, t_fail = NAN;
  int steps = 0, used = 0;
  for (int k = 0; steps < dmax_steps && k < 1000; k++) {
    double thr = thr0 - k * dstep, md;
    if (thr <= 0) break;
    int feasible;
    if ((rc = delay_select(ops, r, thr, W0, Wd, Ad, &md, min_w, min_a, &feasible, e))) return rc;
    if (!feasible) {
      t_fail = thr; /* nothing to train here; bisection may still find a set above it */
      break;
    }
    if (same(Wd, lastW, PP_RETRAIN_NW) && same(Ad, lastA, PP_RETRAIN_NA)) continue;
    memcpy(lastW, Wd, sizeof lastW);
    memcpy(lastA, Ad, sizeof lastA);
    /* lower delay is better: it is what voltage scaling turns into power */
    steps++;
    if ((rc = try_step(o, ops, r, 1, idx, 0, thr, Wd, Ad, md, &ok, e))) return rc;
    if (!ok) {
      t_fail = thr;
      have_fail = 1;
      memcpy(failW, Wd, sizeof failW);
      memcpy(failA, Ad, sizeof failA);
      break;
    }
    t_acc = thr;
  }
  for (int iter = 0; !isnan(t_fail) && used < refine && iter < 64; iter++) {
    if (t_acc - t_fail <= dmin + 1e-9) break;
    double thr = t_acc - dmin * ceil((t_acc - t_fail) / (2 * dmin) - 1e-9), md;
    int feasible;
    if ((rc = delay_select(ops, r, thr, W0, Wd, Ad, &md, min_w, min_a, &feasible, e))) return rc;
    if (!feasible || (have_fail && same(Wd, failW, PP_RETRAIN_NW) && same(Ad, failA, PP_RETRAIN_NA))) {
      t_fail = thr;
      continue;
    }
    if (same(Wd, r->W, PP_RETRAIN_NW) && same(Ad, r->A, PP_RETRAIN_NA)) {
      t_acc = thr;
      continue;
    }
    if ((rc = try_step(o, ops, r, 1, idx, 1, thr, Wd, Ad, md, &ok, e))) return rc;
    used++;
    r->refine_used[1]++;
    if (ok) t_acc = thr;
    else {
      t_fail = thr;
      have_fail = 1;
      memcpy(failW, Wd, sizeof failW);
      memcpy(failA, Ad, sizeof failA);
    }
  }
  return PP_OK;
}

/* The kept state of r, saved and restored around one delay phase. */
typedef struct kept {
  uint8_t W[PP_RETRAIN_NW], A[PP_RETRAIN_NA];
  double accuracy, max_delay_ps, power_threshold_uw, delay_threshold_ps, power_accuracy, score;
  char best_tag[32], from_tag[32];
} kept;

static void kept_save(const pp_retrain_result *r, const char *from_tag, kept *k) {
  memcpy(k->W, r->W, sizeof k->W);
  memcpy(k->A, r->A, sizeof k->A);
  k->accuracy = r->accuracy, k->max_delay_ps = r->max_delay_ps;
  k->power_threshold_uw = r->power_threshold_uw, k->delay_threshold_ps = r->delay_threshold_ps;
  k->power_accuracy = r->power_accuracy;
  k->score = NAN;
  snprintf(k->best_tag, sizeof k->best_tag, "%s", r->best_tag);
  snprintf(k->from_tag, sizeof k->from_tag, "%s", from_tag);
}

static void kept_load(pp_retrain_result *r, const kept *k) {
  memcpy(r->W, k->W, sizeof r->W);
  memcpy(r->A, k->A, sizeof r->A);
  r->accuracy = k->accuracy, r->max_delay_ps = k->max_delay_ps;
  r->power_threshold_uw = k->power_threshold_uw, r->delay_threshold_ps = k->delay_threshold_ps;
  r->power_accuracy = k->power_accuracy;
  snprintf(r->best_tag, sizeof r->best_tag, "%s", k->best_tag);
  snprintf(r->delay_from_tag, sizeof r->delay_from_tag, "%s", k->from_tag);
  r->score = k->score;
}

/* a better than b: the lower score; without a scorer the lower max delay, then fewer weights, then accuracy */
static int kept_better(const kept *a, const kept *b, int scored) {
  if (scored) return a->score < b->score;
  double da = isnan(a->max_delay_ps) ? INFINITY : a->max_delay_ps, db = isnan(b->max_delay_ps) ? INFINITY : b->max_delay_ps;
  if (da != db) return da < db;
  int na = pp_retrain_count(a->W, PP_RETRAIN_NW), nb = pp_retrain_count(b->W, PP_RETRAIN_NW);
  if (na != nb) return na < nb;
  return a->accuracy > b->accuracy;
}

/* Phase 2 from the kept power state and earlier accepted ladder steps; r ends in the best of them. */
static int delay_phases(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, int min_w, int min_a,
                        double dstep, double dmin, int dmax_steps, int refine, pp_err *e) {
  int rc;
  int nstarts = o->delay_starts > 1 ? o->delay_starts : 1;
  /* the starts: the kept power state, then earlier accepted ladder steps, latest first */
  kept from[8], best;
  int ns = 0;
  kept_save(r, r->best_tag, &from[ns++]);
  for (int i = r->nsteps - 1; i >= 0 && ns < nstarts && ns < 8; i--) {
    const pp_retrain_step *ps = &r->steps[i];
    /* ladder steps only: bisection steps sit next to the kept one and would start nearly the same phase */
    if (ps->phase || !ps->accepted || ps->refine || !strcmp(ps->tag, r->best_tag)) continue;
    kept *k = &from[ns++];
    pp_retrain_power_set(o->power_uw, ps->threshold, k->W);
    memset(k->A, 1, sizeof k->A);
    k->accuracy = k->power_accuracy = ps->accuracy, k->max_delay_ps = ps->max_delay_ps;
    k->power_threshold_uw = ps->threshold, k->delay_threshold_ps = NAN, k->score = NAN;
    snprintf(k->best_tag, sizeof k->best_tag, "%s", ps->tag);
    snprintf(k->from_tag, sizeof k->from_tag, "%s", ps->tag);
  }
  int idx = 0;
  for (int i = 0; i < ns; i++) {
    kept_load(r, &from[i]);
    if ((rc = delay_phase(o, ops, r, &idx, min_w, min_a, dstep, dmin, dmax_steps, refine, e))) return rc;
    kept out;
    kept_save(r, from[i].from_tag, &out);
    if (ops->score && (rc = ops->score(ops->user, out.W, out.A, out.max_delay_ps, &out.score, e))) return rc;
    if (ops->score && isnan(out.score)) return pp_err_set(e, PP_EINVAL, "", 0, "retrain: the score of a kept set is NaN");
    if (i == 0 || kept_better(&out, &best, ops->score != NULL)) best = out;
  }
  kept_load(r, &best);
  return PP_OK;
}

int pp_retrain_run(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, pp_err *e) {
  memset(r, 0, sizeof *r);
  if (!o->power_uw || !ops->train) return pp_err_set(e, PP_EINVAL, "", 0, "retrain: no power table or no trainer");
  if (!(o->tolerance >= 0) || !(o->power_tolerance >= 0))
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: tolerances must be >= 0 points");
  if (o->min_acts < 0 || o->min_acts > PP_RETRAIN_NA)
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: minimum activation count %d not in 0..%d", o->min_acts,
                      PP_RETRAIN_NA);
  if (o->refine_retrains < 0 || o->delay_min_step_ps < 0)
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: refine retrains and the finest delay step must be >= 0");
  if (!isnan(o->sparsity_start) && !(o->sparsity_start >= 0 && o->sparsity_start < 1))
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: starting sparsity %g not in [0, 1)", o->sparsity_start);
  if (o->sparsity_step < 0 || !(o->sparsity_max >= 0 && o->sparsity_max < 1) || o->sparsity_max_steps < 0)
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: sparsity step, maximum (< 1) and step count must be >= 0");
  double pmax = -INFINITY, pmin = INFINITY;
  for (int i = 0; i < PP_RETRAIN_NW; i++) {
    double p = o->power_uw[i];
    if (!isfinite(p)) return pp_err_set(e, PP_EINVAL, "", 0, "retrain: P[%d] is not finite", i - 127);
    if (p > pmax) pmax = p;
    if (i != 127 && p < pmin) pmin = p;
  }
  for (int k = 0; o->power_counts && k < o->n_power_counts; k++)
    if (o->power_counts[k] < 1 || o->power_counts[k] > PP_RETRAIN_NW)
      return pp_err_set(e, PP_EINVAL, "", 0, "retrain: power count %d not in 1..255", o->power_counts[k]);
  int divisions = o->power_divisions > 0 ? o->power_divisions : 16;
  int pmax_steps = o->power_max_steps > 0 ? o->power_max_steps : 32;
  int min_w = o->min_weights > 0 ? o->min_weights : 3;
  int min_a = o->min_acts > 1 ? o->min_acts : 2;
  double pstep = o->power_step_uw > 0 ? o->power_step_uw : (pmax - pmin) / divisions;
  if (!(pstep > 0)) pstep = 1.0; /* all non-zero weights cost the same: one step removes them all */
  /* the first threshold that forbids something, unless the caller chose one */
  double start = isnan(o->power_start_uw) ? pmax - pstep : o->power_start_uw;
  double dstep = o->delay_step_ps > 0 ? o->delay_step_ps : 10.0;
  double dmin = o->delay_min_step_ps > 0 ? o->delay_min_step_ps : 1.0;
  int dmax_steps = o->delay_max_steps == 0 ? 16 : o->delay_max_steps;
  int refine = o->refine_retrains;

  /* the starting network: every value allowed */
  memset(r->W, 1, sizeof r->W);
  memset(r->A, 1, sizeof r->A);
  r->accuracy = isnan(o->start_accuracy) ? o->base_accuracy : o->start_accuracy;
  r->start_accuracy = r->accuracy;
  r->power_accuracy = r->accuracy;
  r->power_threshold_uw = pmax;
  r->delay_threshold_ps = NAN;
  r->max_delay_full_ps = NAN;
  r->sparsity = o->sparsity_start;
  int rc, ok;
  if (ops->max_delay && (rc = ops->max_delay(ops->user, r->W, r->A, &r->max_delay_full_ps, e))) return rc;
  r->max_delay_ps = r->max_delay_full_ps;

  /* ---- phase 1: power threshold ---- */
  uint8_t W[PP_RETRAIN_NW], A[PP_RETRAIN_NA], lastW[PP_RETRAIN_NW], failW[PP_RETRAIN_NW];
  memcpy(lastW, r->W, sizeof lastW);
  memset(A, 1, sizeof A);
  /* sorted P, for thresholds given as counts */
  double sorted[PP_RETRAIN_NW];
  memcpy(sorted, o->power_uw, sizeof sorted);
  for (int i = 1; i < PP_RETRAIN_NW; i++)
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      double t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  /* the setting t: a count of values, or a threshold in µW; t_acc the last accepted one (the start: all) */
  double t_acc = o->power_counts ? PP_RETRAIN_NW : pmax, t_fail = NAN;
  int idx = 0;
  for (int k = 0; idx < pmax_steps; k++) {
    double t;
    if (o->power_counts) {
      if (k >= o->n_power_counts) break;
      t = o->power_counts[k];
    } else t = start - k * pstep;
    double thr = power_thr(o, sorted, t);
    int n = pp_retrain_power_set(o->power_uw, thr, W);
    if (n < min_w) break;
    if (same(W, lastW, PP_RETRAIN_NW)) continue; /* this step forbids nothing new */
    memcpy(lastW, W, sizeof lastW);
    double md = NAN;
    if (ops->max_delay && (rc = ops->max_delay(ops->user, W, A, &md, e))) return rc;
    if ((rc = try_step(o, ops, r, 0, &idx, 0, thr, W, A, md, &ok, e))) return rc;
    if (!ok) {
      t_fail = t;
      memcpy(failW, W, sizeof failW);
      break;
    }
    t_acc = t;
  }
  /* bisection between the last accepted setting and the failed one; a setting whose set equals
   * an end's set moves that end without a retrain */
  for (int iter = 0; !isnan(t_fail) && r->refine_used[0] < refine && iter < 64; iter++) {
    double t;
    if (o->power_counts) {
      if (t_acc - t_fail <= 1) break;
      t = floor((t_acc + t_fail) / 2);
    } else {
      if (t_acc - t_fail <= 1e-9 * (fabs(pmax) + 1)) break;
      t = (t_acc + t_fail) / 2;
    }
    double thr = power_thr(o, sorted, t);
    int n = pp_retrain_power_set(o->power_uw, thr, W);
    if (n < min_w || same(W, failW, PP_RETRAIN_NW)) {
      t_fail = t;
      continue;
    }
    if (same(W, r->W, PP_RETRAIN_NW)) {
      t_acc = t;
      continue;
    }
    double md = NAN;
    if (ops->max_delay && (rc = ops->max_delay(ops->user, W, A, &md, e))) return rc;
    if ((rc = try_step(o, ops, r, 0, &idx, 1, thr, W, A, md, &ok, e))) return rc;
    r->refine_used[0]++;
    if (ok) t_acc = t;
    else {
      t_fail = t;
      memcpy(failW, W, sizeof failW);
    }
  }
  budget(r, 0);

  /* ---- phase 2: delay threshold, from the last delay_starts accepted power steps ---- */
  if (ops->select_delay && ops->max_delay && dmax_steps >= 0 &&
      (rc = delay_phases(o, ops, r, min_w, min_a, dstep, dmin, dmax_steps, refine, e)))
    return rc;
  budget(r, 1);

  /* ---- phase 3: sparsity ---- */
  if (ops->prune && !isnan(o->sparsity_start) && (rc = sparsity_phase(o, ops, r, refine, e))) return rc;
  budget(r, 2);
  return PP_OK;
}
