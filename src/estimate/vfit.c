/* estimate/vfit: the voltage law of estimate.h fitted to the MAC's static
 * timing and leakage under one cell library characterized at several
 * supplies, instead of the default fitted to the paper's Table I. */
#include <math.h>
#include <string.h>

#include "pp/estimate.h"

/* ln(delay(V) / delay(V0)) under the law V / (V - vth)^alpha. */
static double log_ratio(double v, double v0, double vth, double alpha) {
  return log(v / v0) - alpha * log((v - vth) / (v0 - vth));
}

/* Sum of squared log-ratio residuals of every point against pt[0]. */
static double delay_sse(const pp_est_vfit *f, double vth, double alpha) {
  double s = 0;
  for (int i = 1; i < f->n; i++) {
    double r = log(f->pt[i].delay_ps / f->pt[0].delay_ps) - log_ratio(f->pt[i].v, f->pt[0].v, vth, alpha);
    s += r * r;
  }
  return s;
}

/* The vth in [0, vmax) that gives the one ratio of two points exactly, for a
 * fixed alpha: log_ratio is monotone in vth (increasing when the second
 * point is the lower supply), so bisection. 0 found, -1 none. */
static int solve_vth(const pp_est_vfit *f, double alpha, double vmax, double *vth) {
  double target = log(f->pt[1].delay_ps / f->pt[0].delay_ps);
  double v1 = f->pt[1].v, v0 = f->pt[0].v;
  double lo = 0, hi = vmax;
  double glo = log_ratio(v1, v0, lo, alpha) - target, ghi = log_ratio(v1, v0, hi, alpha) - target;
  if ((glo > 0) == (ghi > 0)) return -1;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi), g = log_ratio(v1, v0, mid, alpha) - target;
    if ((g > 0) == (glo > 0)) lo = mid, glo = g;
    else hi = mid;
  }
  *vth = 0.5 * (lo + hi);
  return 0;
}

/* Golden-section minimum of delay_sse over vth in [0, vmax) at one alpha,
 * started from the best of a coarse grid (the residual need not be unimodal
 * over the whole range). */
static double best_vth(const pp_est_vfit *f, double alpha, double vmax, double *sse) {
  int ng = 200, best = 0;
  double bs = INFINITY;
  for (int g = 0; g < ng; g++) {
    double s = delay_sse(f, vmax * g / ng, alpha);
    if (s < bs) bs = s, best = g;
  }
  double a = vmax * (best > 0 ? best - 1 : 0) / ng, b = vmax * (best + 1 < ng ? best + 1 : ng - 1) / ng;
  const double gr = 0.6180339887498949;
  double x1 = b - gr * (b - a), x2 = a + gr * (b - a), f1 = delay_sse(f, x1, alpha), f2 = delay_sse(f, x2, alpha);
  for (int it = 0; it < 100; it++) {
    if (f1 < f2) b = x2, x2 = x1, f2 = f1, x1 = b - gr * (b - a), f1 = delay_sse(f, x1, alpha);
    else a = x1, x1 = x2, f1 = f2, x2 = a + gr * (b - a), f2 = delay_sse(f, x2, alpha);
  }
  double x = f1 < f2 ? x1 : x2, s = f1 < f2 ? f1 : f2;
  if (bs < s) x = vmax * best / ng, s = bs;
  *sse = s;
  return x;
}

static int check_points(const pp_est_vfit *f, pp_err *e) {
  if (f->n < 2 || f->n > PP_EST_VFIT_MAX)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "a voltage fit needs 2..%d library supplies, got %d", PP_EST_VFIT_MAX, f->n);
  for (int i = 0; i < f->n; i++) {
    const pp_est_vpoint *p = &f->pt[i];
    if (!(p->v > 0) || !(p->delay_ps > 0) || !isfinite(p->v) || !isfinite(p->delay_ps))
      return pp_err_set(e, PP_EINVAL, p->lib, 0, "supply %g V, critical path %g ps: expected both > 0", p->v, p->delay_ps);
    for (int k = 0; k < i; k++) {
      const pp_est_vpoint *q = &f->pt[k];
      if (fabs(q->v - p->v) < 1e-6)
        return pp_err_set(e, PP_EINVAL, p->lib, 0, "supply %g V is the same as that of %s: expected distinct voltages",
                          p->v, q->lib);
      if ((q->v - p->v) * (q->delay_ps - p->delay_ps) >= 0)
        return pp_err_set(e, PP_EINVAL, p->lib, 0,
                          "the MAC's critical path is %g ps at %g V and %g ps at %g V (%s): expected it to grow as "
                          "the supply drops",
                          p->delay_ps, p->v, q->delay_ps, q->v, q->lib);
    }
  }
  return PP_OK;
}

int pp_est_vmodel_fit(pp_est_vfit *f, pp_est_vmodel *m, pp_err *e) {
  int rc = check_points(f, e);
  if (rc) return rc;
  double vmin = f->pt[0].v;
  for (int i = 1; i < f->n; i++) vmin = fmin(vmin, f->pt[i].v);
  double vmax = vmin * (1 - 1e-6); /* vth below every supply */
  f->alpha_fitted = f->vth_at_zero = f->leak_fitted = 0;
  m->v_nom = f->pt[0].v;
  if (f->n == 2) {
    double vth;
    if (!solve_vth(f, m->alpha, vmax, &vth)) {
      m->vth = vth;
    } else { /* vth = 0: ln ratio = (1 - alpha) ln(V1/V0) */
      m->vth = 0;
      m->alpha = 1 - log(f->pt[1].delay_ps / f->pt[0].delay_ps) / log(f->pt[1].v / f->pt[0].v);
      f->vth_at_zero = 1;
      if (!(m->alpha > 0))
        return pp_err_set(e, PP_EINVAL, f->pt[1].lib, 0, "no alpha-power law gives the delay ratio %g at %g / %g V",
                          f->pt[1].delay_ps / f->pt[0].delay_ps, f->pt[1].v, f->pt[0].v);
    }
  } else {
    double best = INFINITY;
    for (int k = 0; k <= 250; k++) { /* alpha 0.5 .. 3.0 in steps of 0.01, then refined */
      double a = 0.5 + 0.01 * k, s, v = best_vth(f, a, vmax, &s);
      if (s < best) best = s, m->alpha = a, m->vth = v;
    }
    for (int r = 0; r < 16; r++) /* steps 0.005 down to 1.5e-7 */
      for (int d = -1; d <= 1; d += 2) {
        double a = m->alpha + d * ldexp(0.005, -r), s, v;
        if (a <= 0) continue;
        v = best_vth(f, a, vmax, &s);
        if (s < best) best = s, m->alpha = a, m->vth = v;
      }
    f->alpha_fitted = 1;
  }
  f->rms_log_delay = sqrt(delay_sse(f, m->vth, m->alpha) / (f->n - 1));
  /* leakage: y = ln(L_i/L_0) - ln(V_i/V_0) = k (V_i - V_0), least squares through 0 */
  int leak_ok = 1;
  for (int i = 0; i < f->n; i++) leak_ok &= f->pt[i].leak_nw > 0 && isfinite(f->pt[i].leak_nw);
  f->rms_log_leak = NAN;
  if (leak_ok) {
    double sxy = 0, sxx = 0;
    for (int i = 1; i < f->n; i++) {
      double x = f->pt[i].v - f->pt[0].v;
      double y = log(f->pt[i].leak_nw / f->pt[0].leak_nw) - log(f->pt[i].v / f->pt[0].v);
      sxy += x * y, sxx += x * x;
    }
    m->leak_k = sxy / sxx;
    double s = 0;
    for (int i = 1; i < f->n; i++) {
      double x = f->pt[i].v - f->pt[0].v;
      double r = log(f->pt[i].leak_nw / f->pt[0].leak_nw) - log(f->pt[i].v / f->pt[0].v) - m->leak_k * x;
      s += r * r;
    }
    f->rms_log_leak = sqrt(s / (f->n - 1));
    f->leak_fitted = 1;
  }
  m->fitted = f->n;
  return PP_OK;
}
