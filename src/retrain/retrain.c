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

int pp_retrain_run(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, pp_err *e) {
  memset(r, 0, sizeof *r);
  if (!o->power_uw || !ops->train) return pp_err_set(e, PP_EINVAL, "", 0, "retrain: no power table or no trainer");
  if (!(o->tolerance >= 0) || !(o->power_tolerance >= 0))
    return pp_err_set(e, PP_EINVAL, "", 0, "retrain: tolerances must be >= 0 points");
  double pmax = -INFINITY, pmin = INFINITY;
  for (int i = 0; i < PP_RETRAIN_NW; i++) {
    double p = o->power_uw[i];
    if (!isfinite(p)) return pp_err_set(e, PP_EINVAL, "", 0, "retrain: P[%d] is not finite", i - 127);
    if (p > pmax) pmax = p;
    if (i != 127 && p < pmin) pmin = p;
  }
  int divisions = o->power_divisions > 0 ? o->power_divisions : 16;
  int pmax_steps = o->power_max_steps > 0 ? o->power_max_steps : 32;
  int min_w = o->min_weights > 0 ? o->min_weights : 3;
  double pstep = o->power_step_uw > 0 ? o->power_step_uw : (pmax - pmin) / divisions;
  if (!(pstep > 0)) pstep = 1.0; /* all non-zero weights cost the same: one step removes them all */
  /* the first threshold that forbids something, unless the caller chose one */
  double start = isnan(o->power_start_uw) ? pmax - pstep : o->power_start_uw;
  double dstep = o->delay_step_ps > 0 ? o->delay_step_ps : 10.0;
  int dmax_steps = o->delay_max_steps == 0 ? 16 : o->delay_max_steps;

  /* the starting network: every value allowed */
  memset(r->W, 1, sizeof r->W);
  memset(r->A, 1, sizeof r->A);
  r->accuracy = isnan(o->start_accuracy) ? o->base_accuracy : o->start_accuracy;
  r->power_threshold_uw = pmax;
  r->delay_threshold_ps = NAN;
  r->max_delay_full_ps = NAN;
  int rc;
  if (ops->max_delay && (rc = ops->max_delay(ops->user, r->W, r->A, &r->max_delay_full_ps, e))) return rc;
  r->max_delay_ps = r->max_delay_full_ps;

  /* ---- phase 1: power threshold ---- */
  uint8_t W[PP_RETRAIN_NW], A[PP_RETRAIN_NA], lastW[PP_RETRAIN_NW];
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
  for (int k = 0, idx = 0; idx < pmax_steps; k++) {
    double thr;
    if (o->power_counts) {
      if (k >= o->n_power_counts) break;
      int n = o->power_counts[k];
      if (n < 1 || n > PP_RETRAIN_NW) return pp_err_set(e, PP_EINVAL, "", 0, "retrain: power count %d not in 1..255", n);
      thr = sorted[n - 1];
    } else thr = start - k * pstep;
    int n = pp_retrain_power_set(o->power_uw, thr, W);
    if (n < min_w) break;
    if (same(W, lastW, PP_RETRAIN_NW)) continue; /* this step forbids nothing new */
    memcpy(lastW, W, sizeof lastW);
    pp_retrain_step s = {0};
    s.phase = 0;
    s.index = idx++;
    snprintf(s.tag, sizeof s.tag, "power-%02d", s.index);
    s.threshold = thr;
    s.n_weights = n;
    s.n_acts = PP_RETRAIN_NA;
    s.max_delay_ps = NAN;
    if (ops->max_delay && (rc = ops->max_delay(ops->user, W, A, &s.max_delay_ps, e))) return rc;
    if ((rc = ops->train(ops->user, s.tag, r->best_tag[0] ? r->best_tag : NULL, W, A, &s.accuracy, e)))
      return rc;
    s.accepted = s.accuracy >= o->base_accuracy - o->power_tolerance;
    if ((rc = add_step(r, ops, &s, e))) return rc;
    if (!s.accepted) break;
    memcpy(r->W, W, sizeof r->W);
    r->accuracy = s.accuracy;
    r->max_delay_ps = s.max_delay_ps;
    r->power_threshold_uw = thr;
    snprintf(r->best_tag, sizeof r->best_tag, "%s", s.tag);
  }

  /* ---- phase 2: delay threshold, from the power phase's weights ---- */
  if (!ops->select_delay || !ops->max_delay || dmax_steps < 0) return PP_OK;
  uint8_t W0[PP_RETRAIN_NW], Wd[PP_RETRAIN_NW], Ad[PP_RETRAIN_NA];
  memcpy(W0, r->W, sizeof W0);
  double d0;
  memset(A, 1, sizeof A);
  if ((rc = ops->max_delay(ops->user, W0, A, &d0, e))) return rc;
  if (!isfinite(d0)) return PP_OK;
  /* the largest multiple of the step strictly below the current max delay */
  double thr0 = ceil(d0 / dstep - 1e-9) * dstep - dstep;
  memcpy(lastW, W0, sizeof lastW);
  uint8_t lastA[PP_RETRAIN_NA];
  memcpy(lastA, A, sizeof lastA);
  for (int k = 0, idx = 0; idx < dmax_steps && k < 1000; k++) {
    double thr = thr0 - k * dstep;
    if (thr <= 0) break;
    double md = NAN;
    if ((rc = ops->select_delay(ops->user, thr, W0, Wd, Ad, &md, e))) return rc;
    Wd[127] = 1; /* zero is always allowed (pruned weights) */
    int nw = pp_retrain_count(Wd, PP_RETRAIN_NW), na = pp_retrain_count(Ad, PP_RETRAIN_NA);
    if (nw < min_w || na < 2) break;
    if (same(Wd, lastW, PP_RETRAIN_NW) && same(Ad, lastA, PP_RETRAIN_NA)) continue;
    memcpy(lastW, Wd, sizeof lastW);
    memcpy(lastA, Ad, sizeof lastA);
    pp_retrain_step s = {0};
    s.phase = 1;
    s.index = idx++;
    snprintf(s.tag, sizeof s.tag, "delay-%02d", s.index);
    s.threshold = thr;
    s.n_weights = nw;
    s.n_acts = na;
    s.max_delay_ps = md;
    if ((rc = ops->train(ops->user, s.tag, r->best_tag[0] ? r->best_tag : NULL, Wd, Ad, &s.accuracy, e)))
      return rc;
    s.accepted = s.accuracy >= o->base_accuracy - o->tolerance;
    if ((rc = add_step(r, ops, &s, e))) return rc;
    if (!s.accepted) break;
    /* lower delay is better: it is what voltage scaling turns into power */
    memcpy(r->W, Wd, sizeof r->W);
    memcpy(r->A, Ad, sizeof r->A);
    r->accuracy = s.accuracy;
    r->max_delay_ps = md;
    r->delay_threshold_ps = thr;
    snprintf(r->best_tag, sizeof r->best_tag, "%s", s.tag);
  }
  return PP_OK;
}
