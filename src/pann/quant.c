/* pann/quant: PANN's weight scale for a budget of R additions per input, the
 * plain b-bit baseline quantizers, and the reference energies that turn a
 * power budget into R. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

double pp_pann_mean_abs_q(const float *w, size_t n, double g) {
  if (n == 0) return 0;
  double s = 0;
  for (size_t i = 0; i < n; i++) s += fabs(nearbyint((double)w[i] / g));
  return s / (double)n;
}

int pp_pann_weight_scale(const float *w, size_t n, double R, double *g, int32_t *q, double *r_out,
                         pp_err *e) {
  if (n == 0 || !(R > 0) || !isfinite(R))
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN weight scale needs weights and a budget R > 0 (got n=%zu, R=%g)", n, R);
  double ma = 0, mx = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(w[i])) return pp_err_set(e, PP_EINVAL, "", 0, "weight %zu is not finite", i);
    ma += fabs(w[i]);
    if (fabs(w[i]) > mx) mx = fabs(w[i]);
  }
  ma /= (double)n;
  double hi, lo;
  if (mx == 0) {
    hi = 1;
  } else {
    /* mean|round(w/g)| >= mean|w|/g - 1/2, so at lo it exceeds R; at hi
     * every weight rounds to 0. */
    lo = ma / (R + 1);
    hi = 2.000001 * mx;
    if (pp_pann_mean_abs_q(w, n, lo) <= R) hi = lo; /* cannot happen, but keep the invariant */
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
      double mid = 0.5 * (lo + hi);
      if (pp_pann_mean_abs_q(w, n, mid) <= R)
        hi = mid;
      else
        lo = mid;
    }
  }
  *g = hi;
  if (q)
    for (size_t i = 0; i < n; i++) q[i] = (int32_t)nearbyint((double)w[i] / hi);
  if (r_out) *r_out = pp_pann_mean_abs_q(w, n, hi);
  return PP_OK;
}

int pp_pann_uniform_scale(const float *w, size_t n, int bits, double *g, pp_err *e) {
  if (bits < 2 || bits > 16 || n == 0)
    return pp_err_set(e, PP_EINVAL, "", 0, "uniform quantization needs 2..16 bits and weights (got %d bits)", bits);
  double mx = 0;
  for (size_t i = 0; i < n; i++)
    if (fabs(w[i]) > mx) mx = fabs(w[i]);
  int L = (1 << (bits - 1)) - 1;
  if (mx == 0) {
    *g = 1;
    return PP_OK;
  }
  double best = INFINITY, bg = mx / L;
  /* Clipping trades outliers for resolution: search the clip level. */
  for (int k = 1; k <= 100; k++) {
    double gg = mx * k / 100.0 / L;
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
      double qv = nearbyint(w[i] / gg);
      if (qv > L) qv = L;
      if (qv < -L) qv = -L;
      double d = w[i] - qv * gg;
      sse += d * d;
    }
    if (sse < best) {
      best = sse;
      bg = gg;
    }
  }
  *g = bg;
  return PP_OK;
}

double pp_pann_act_scale(const float *x, size_t n, int bits) {
  double mx = 0;
  for (size_t i = 0; i < n; i++)
    if (x[i] > mx) mx = x[i];
  if (mx == 0 || n == 0) return 1;
  int L = (1 << bits) - 1;
  double best = INFINITY, bs = mx / L;
  for (int k = 5; k <= 100; k++) {
    double s = mx * k / 100.0 / L;
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
      double v = x[i] > 0 ? x[i] : 0;
      double qv = nearbyint(v / s);
      if (qv > L) qv = L;
      double d = v - qv * s;
      sse += d * d;
    }
    if (sse < best) {
      best = sse;
      bs = s;
    }
  }
  return bs;
}

/* ---- reference energies ------------------------------------------------------ */

double pp_pann_ref_mac_energy(const pp_pann_power *pw, int b, int accum, int K, uint64_t seed) {
  double em, ea;
  pp_pann_ref_mac_parts(pw, b, accum, K, seed, &em, &ea);
  return em + ea;
}

void pp_pann_ref_mac_parts(const pp_pann_power *pw, int b, int accum, int K, uint64_t seed, double *e_mult,
                           double *e_acc) {
  *e_mult = *e_acc = NAN;
  if (b < 2 || b > 8 || !pw->have[b - 2] || K < 1) return;
  const pp_pann_mult_model *mm = &pw->mult[b - 2];
  const pp_pann_acc_model *am = &pw->acc[b - 2];
  pp_rng r;
  pp_rng_seed(&r, seed);
  int L = (1 << (b - 1)) - 1, A = (1 << b) - 1;
  const int M = 400; /* dot products */
  double Em = 0, Ea = 0;
  int64_t pw0 = 0, pa0 = 0;
  int64_t px[2] = {0, 0}, pp[2] = {0, 0}; /* last operation of each accumulator */
  for (int o = 0; o < M; o++) {
    int64_t acc[2] = {0, 0};
    for (int i = 0; i < K; i++) {
      int64_t w = (int64_t)pp_rng_below(&r, 2 * L + 1) - L;
      int64_t a = pp_rng_below(&r, A + 1);
      int which = accum == PP_PANN_SPLIT && w < 0;
      int64_t wm = accum == PP_PANN_SPLIT ? (w < 0 ? -w : w) : w;
      Em += pp_pann_mult_energy(mm, pw0, pa0, wm, a);
      pw0 = wm;
      pa0 = a;
      if (accum == PP_PANN_SPLIT && w == 0) continue;
      int64_t x = wm * a;
      Ea += pp_pann_acc_energy(am, px[which], pp[which], x, acc[which]);
      px[which] = x;
      pp[which] = acc[which];
      acc[which] = pp_pann_wrap(acc[which] + x, am->acc_bits);
    }
  }
  *e_mult = Em / ((double)M * K);
  *e_acc = Ea / ((double)M * K);
}

double pp_pann_ref_add_energy(const pp_pann_power *pw, int bx, double R, int K, uint64_t seed) {
  if (bx < 2 || bx > 8 || !pw->have[bx - 2] || K < 1 || !(R > 0)) return NAN;
  const pp_pann_acc_model *am = &pw->add[bx - 2];
  pp_rng r;
  pp_rng_seed(&r, seed);
  const int M = 400;
  /* Weights ~ N(0,1) quantized at the scale that gives mean |q| = R. */
  size_t nw = (size_t)M * K;
  float *w = malloc(sizeof(float) * nw);
  int32_t *q = calloc(nw, sizeof(int32_t)); /* zeroed: filled by pp_pann_weight_scale, which the analyser cannot see */
  if (!w || !q) {
    free(w);
    free(q);
    return NAN;
  }
  for (size_t i = 0; i < nw; i++) w[i] = (float)pp_rng_normal(&r);
  double g, rr;
  if (pp_pann_weight_scale(w, nw, R, &g, q, &rr, NULL)) {
    free(w);
    free(q);
    return NAN;
  }
  int A = (1 << bx) - 1;
  double E = 0;
  long nadd = 0;
  int64_t px[2] = {0, 0}, pp[2] = {0, 0};
  for (int o = 0; o < M; o++) {
    int64_t acc[2] = {0, 0};
    for (int i = 0; i < K; i++) {
      int32_t qv = q[(size_t)o * K + i];
      int64_t x = pp_rng_below(&r, A + 1);
      int which = qv < 0;
      for (int k = 0; k < abs(qv); k++) {
        E += pp_pann_acc_energy(am, px[which], pp[which], x, acc[which]);
        px[which] = x;
        pp[which] = acc[which];
        acc[which] = pp_pann_wrap(acc[which] + x, am->acc_bits);
        nadd++;
      }
    }
  }
  free(w);
  free(q);
  return nadd ? E / (double)nadd : NAN;
}

double pp_pann_budget_R(const pp_pann_power *pw, int bx, double P, int K, uint64_t seed) {
  /* R * E_add(bx, R) = P; the left side increases with R (more additions,
   * each at least the static c0 part), bisection on R. */
  if (!(P > 0)) return NAN;
  double lo = 1e-3, hi = 256;
  for (int it = 0; it < 40; it++) {
    double mid = sqrt(lo * hi);
    double Ea = pp_pann_ref_add_energy(pw, bx, mid, K, seed);
    if (!isfinite(Ea)) return NAN;
    if (mid * Ea > P)
      hi = mid;
    else
      lo = mid;
    if (hi / lo < 1.001) break;
  }
  return sqrt(lo * hi);
}

void pp_pann_lsq_scales(const float *w, int M, int K, const int32_t *q, double g, double *gm) {
  for (int m = 0; m < M; m++) {
    double wq = 0, qq = 0;
    for (int k = 0; k < K; k++) {
      double qv = q[(size_t)m * K + k];
      wq += w[(size_t)m * K + k] * qv;
      qq += qv * qv;
    }
    /* <w,q>/<q,q> minimises |w - g' q|^2 over g'; an all-zero row keeps g */
    gm[m] = qq > 0 ? wq / qq : g;
  }
}
