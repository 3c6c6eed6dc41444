/* pann/fit: fits the bit-flip models to the gate-level simulator. For each
 * width the MAC parts are built in memory (pp_mac_build), and the
 * timed event engine gives the energy of every transition of a stream; the
 * same stream's flip features go into the least-squares fit. Streams mix
 * uniform random operands, weight-stationary runs with ReLU-like zero
 * activations, and low-activity random walks, so the fit covers the flip
 * range that real traces produce; every 5th sample is held out as a check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/macgen.h"
#include "pp/pann.h"
#include "pp/sim.h"
#include "pp/verilog.h"
#include "pann_internal.h"
#include "pp/util_mem.h"

void pann_part_free(part *p) {
  pp_sim_ws_free(p->ws);
  pp_sim_model_free(p->sm);
  pp_netlist_free(p->nl);
  memset(p, 0, sizeof *p);
}

int pann_part_build(const pp_lib *lib, int which, int w_bits, int a_bits, int acc_bits, int mult, int adder, part *p,
                    pp_err *e) {
  static const char *const mult_ports[] = {"w", "a"}, *const adder_ports[] = {"prod", "p"};
  const char *const *ports = which == PP_MAC_ADDER ? adder_ports : mult_ports;
  int nports = 2;
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  mo.w_bits = w_bits;
  mo.a_bits = a_bits;
  if (which == PP_MAC_ADDER) mo.p_bits = acc_bits;
  mo.mult = mult;
  mo.adder = adder;
  mo.part = which;
  memset(p, 0, sizeof *p);
  int st = pp_mac_build(&mo, lib, &p->nl, e);
  if (st) return st;
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  if ((st = pp_sim_model_new(p->nl, &so, &p->sm, e)) || (st = pp_sim_ws_new(p->sm, &p->ws, e))) {
    pann_part_free(p);
    return st;
  }
  p->nports = nports;
  for (int i = 0; i < nports; i++) {
    p->port[i] = pp_netlist_find_input(p->nl, ports[i]);
    if (p->port[i] < 0) {
      pann_part_free(p);
      return pp_err_set(e, PP_EINTERNAL, "", 0, "generated MAC part has no input port '%s'", ports[i]);
    }
  }
  return PP_OK;
}

/* Energies (fJ) of the n-1 transitions of a stream of input vectors
 * (vals: n x nports). */
int pann_part_stream(part *p, const int64_t *vals, long n, double *E, pp_err *e) {
  int nb = pp_sim_n_input_bits(p->sm);
  uint8_t *a = calloc((size_t)nb, 1), *b = calloc((size_t)nb, 1);
  if (!a || !b) {
    free(a);
    free(b);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  // NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): callers pass n x p->nports values
  for (int k = 0; k < p->nports; k++) pp_sim_bits_set_port(p->sm, a, p->port[k], vals[k]);
  for (long t = 1; t < n; t++) {
    for (int k = 0; k < p->nports; k++) pp_sim_bits_set_port(p->sm, b, p->port[k], vals[t * p->nports + k]);
    pp_sim_result r;
    if (pp_sim_transition(p->ws, a, b, 0, &r)) {
      free(a);
      free(b);
      return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in the timed simulator");
    }
    E[t - 1] = r.energy_fj;
    uint8_t *s = a;
    a = b;
    b = s;
  }
  free(a);
  free(b);
  return PP_OK;
}

/* Libraries whose power depends on the input state (`when`): the part is
 * priced for the states the stream settles in (vals: n x nports). */
static int part_use_states(part *p, const int64_t *vals, long n, pp_err *e) {
  if (!pp_sim_model_state_dependent(p->sm)) return PP_OK;
  size_t nb = (size_t)pp_sim_n_input_bits(p->sm);
  uint8_t *bits = calloc((size_t)n * nb + 1, 1);
  if (!bits) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  for (long t = 0; t < n; t++)
    for (int k = 0; k < p->nports; k++)
      pp_sim_bits_set_port(p->sm, bits + (size_t)t * nb, p->port[k], vals[t * p->nports + k]);
  int st = pp_sim_model_use_states(p->sm, bits, n, e);
  free(bits);
  return st;
}

void pp_pann_fit_defaults(pp_pann_fit_opts *o) {
  memset(o, 0, sizeof *o);
  o->acc_bits = 22;
  o->samples = 3000;
  o->mult_arch = PP_MAC_MULT_DEFAULT;
  o->adder_arch = PP_MAC_ADDER_DEFAULT;
  o->seed = 1;
  o->min_bits = 2;
  o->max_bits = 8;
}

/* Fit on 4 of every 5 samples, check on the fifth. */
static int fit_split(const double *X, const double *y, long n, int k, double *c, pp_pann_fit_stats *fit,
                     pp_pann_fit_stats *check, pp_err *e) {
  long nf = 0, nc = 0;
  double *Xf = malloc(sizeof(double) * (size_t)n * k), *yf = malloc(sizeof(double) * (size_t)n);
  double *Xc = malloc(sizeof(double) * (size_t)n * k), *yc = malloc(sizeof(double) * (size_t)n);
  int st = PP_OK;
  if (!Xf || !yf || !Xc || !yc) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto out;
  }
  for (long i = 0; i < n; i++) {
    if (i % 5 == 4) {
      memcpy(Xc + nc * k, X + i * k, sizeof(double) * k);
      yc[nc++] = y[i];
    } else {
      memcpy(Xf + nf * k, X + i * k, sizeof(double) * k);
      yf[nf++] = y[i];
    }
  }
  if ((st = pp_pann_lsq(Xf, yf, nf, k, c, e))) goto out;
  pp_pann_fit_eval(Xf, yf, nf, k, c, fit);
  pp_pann_fit_eval(Xc, yc, nc, k, c, check);
out:
  PP_FREE_ALL(Xf, yf, Xc, yc);
  return st;
}

/* Multiplier streams: (w, a) pairs. */
static void mult_stream(pp_rng *r, int b, long n, int64_t *v) {
  int L = (1 << (b - 1)) - 1, A = (1 << b) - 1;
  int64_t w = 0, a = 0;
  for (long t = 0; t < n; t++) {
    int mode = (int)((t / 200) % 3);
    if (mode == 0) { /* uniform random operands */
      w = (int64_t)pp_rng_below(r, 2 * L + 1) - L;
      a = pp_rng_below(r, A + 1);
    } else if (mode == 1) { /* weight held for 16, ReLU-like activations */
      if (t % 16 == 0) w = (int64_t)pp_rng_below(r, 2 * L + 1) - L;
      a = pp_rng_below(r, 5) < 2 ? 0 : pp_rng_below(r, A + 1);
    } else { /* low activity: each bit flips with p = 0.15 */
      for (int k = 0; k < b; k++) {
        if (pp_rng_uniform(r) < 0.15) w ^= 1LL << k;
        if (pp_rng_uniform(r) < 0.15) a ^= 1LL << k;
      }
      w = pp_pann_wrap(w, b);
      if (w < -L) w = -L;
    }
    v[2 * t] = w;
    v[2 * t + 1] = a;
  }
}

/* Accumulator streams: (x, p) pairs from dot products of length 16..64 with
 * resets, mixing signed products (mode 0) and split, non-negative products
 * (modes 1, 2) with ReLU-like zeros: p is always a running sum, as in use.
 * in_bits is the addend port width; xmax the largest |x|. */
static void acc_stream(pp_rng *r, int in_bits, int B, int64_t xmax, int pann_repeat, long n, int64_t *v) {
  int64_t acc = 0, x = 0;
  int len = 0, left = 0, mode = 0, rep = 0;
  for (long t = 0; t < n; t++) {
    if (left == 0) {
      mode = (int)pp_rng_below(r, 3);
      len = 16 + (int)pp_rng_below(r, 49);
      left = len;
      acc = 0;
    }
    left--;
    if (pann_repeat) { /* PANN: the same x repeated |w| times, unsigned */
      if (rep == 0) {
        x = pp_rng_below(r, 3) == 0 ? 0 : (int64_t)pp_rng_below(r, (uint32_t)xmax + 1);
        rep = 1 + (int)pp_rng_below(r, mode == 0 ? 2 : 6);
      }
      rep--;
    } else { /* products: signed (mode 0) or split magnitudes (mode 1), ReLU zeros */
      int64_t m = pp_rng_below(r, 3) == 0 ? 0 : (int64_t)pp_rng_below(r, (uint32_t)xmax + 1);
      x = (mode == 0 && (pp_rng_u64(r) & 1)) ? -m : m;
    }
    x = pp_pann_wrap(x, in_bits);
    v[2 * t] = x;
    v[2 * t + 1] = acc;
    acc = pp_pann_wrap(acc + x, B);
  }
}

static int fit_mult(const pp_lib *lib, const pp_pann_fit_opts *o, int b, pp_rng *r,
                    pp_pann_mult_model *mm, double **gX, double **gy, long *gn, double *mean_random, pp_err *e) {
  part p;
  int st = pann_part_build(lib, PP_MAC_MULT, b, b, 0, o->mult_arch, o->adder_arch, &p, e);
  if (st) return st;
  long n = o->samples + 1;
  int64_t *v = malloc(sizeof(int64_t) * 2 * (size_t)n);
  double *E = malloc(sizeof(double) * (size_t)n), *X = malloc(sizeof(double) * (size_t)n * PP_PANN_MULT_NF);
  double *nX = realloc(*gX, sizeof(double) * (size_t)(*gn + n) * 2), *ny = NULL;
  if (nX) *gX = nX;
  ny = realloc(*gy, sizeof(double) * (size_t)(*gn + n));
  if (ny) *gy = ny;
  if (!v || !E || !X || !nX || !ny) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto out;
  }
  mult_stream(r, b, n, v);
  if ((st = part_use_states(&p, v, n, e)) || (st = pann_part_stream(&p, v, n, E, e))) goto out;
  for (long t = 1; t < n; t++) {
    double *f = X + (t - 1) * PP_PANN_MULT_NF;
    pp_pann_mult_features(b, b, v[2 * t - 2], v[2 * t - 1], v[2 * t], v[2 * t + 1], f);
    (*gX)[*gn * 2] = 1;
    (*gX)[*gn * 2 + 1] = f[2] * b + f[1] * b; /* fa*w_bits + fw*a_bits */
    (*gy)[*gn] = E[t - 1];
    (*gn)++;
  }
  memset(mm, 0, sizeof *mm);
  mm->w_bits = mm->a_bits = b;
  mm->leak_nw = pp_sim_leakage_nw(p.sm);
  if ((st = fit_split(X, E, n - 1, PP_PANN_MULT_NF, mm->c, &mm->fit, &mm->check, e))) goto out;
  /* mean energy on a purely uniform random stream (the width claim) */
  {
    int L = (1 << (b - 1)) - 1, A = (1 << b) - 1;
    long nr = o->samples / 3 + 1;
    for (long t = 0; t < nr; t++) {
      v[2 * t] = (int64_t)pp_rng_below(r, 2 * L + 1) - L;
      v[2 * t + 1] = pp_rng_below(r, A + 1);
    }
    if ((st = pann_part_stream(&p, v, nr, E, e))) goto out;
    double s = 0;
    for (long t = 0; t < nr - 1; t++) s += E[t];
    *mean_random = s / (double)(nr - 1);
  }
out:
  PP_FREE_ALL(v, E, X);
  pann_part_free(&p);
  return st;
}

/* Fits an accumulator model on the adder part (w_bits, a_bits) -> addend of
 * w_bits + a_bits bits. pann: PANN-style repeated unsigned addends of xbits. */
static int fit_acc(const pp_lib *lib, const pp_pann_fit_opts *o, int wb, int ab, int xbits, int pann,
                   pp_rng *r, pp_pann_acc_model *am, pp_err *e) {
  part p;
  int st = pann_part_build(lib, PP_MAC_ADDER, wb, ab, o->acc_bits, o->mult_arch, o->adder_arch, &p, e);
  if (st) return st;
  int in_bits = wb + ab;
  long n = o->samples + 1;
  int64_t *v = malloc(sizeof(int64_t) * 2 * (size_t)n);
  double *E = malloc(sizeof(double) * (size_t)n), *X = malloc(sizeof(double) * (size_t)n * PP_PANN_ACC_NF);
  if (!v || !E || !X) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto out;
  }
  int64_t xmax = pann ? (1LL << xbits) - 1 : (int64_t)((1LL << (wb - 1)) - 1) * ((1LL << ab) - 1);
  acc_stream(r, in_bits, o->acc_bits, xmax, pann, n, v);
  if ((st = part_use_states(&p, v, n, e)) || (st = pann_part_stream(&p, v, n, E, e))) goto out;
  for (long t = 1; t < n; t++)
    pp_pann_acc_features(in_bits, o->acc_bits, v[2 * t - 2], v[2 * t - 1], v[2 * t], v[2 * t + 1],
                         X + (t - 1) * PP_PANN_ACC_NF);
  memset(am, 0, sizeof *am);
  am->in_bits = in_bits;
  am->acc_bits = o->acc_bits;
  am->leak_nw = pp_sim_leakage_nw(p.sm);
  st = fit_split(X, E, n - 1, PP_PANN_ACC_NF, am->c, &am->fit, &am->check, e);
out:
  PP_FREE_ALL(v, E, X);
  pann_part_free(&p);
  return st;
}

/* The PANN adder for bx-bit activations: an addend port of at least bx+1
 * bits (x stays non-negative), at least 4 (the generator's smallest). */
static void pann_adder_widths(int bx, int *wb, int *ab) {
  *wb = 2;
  *ab = bx - 1 < 2 ? 2 : bx - 1;
}

/* Least-squares slope of log(y) on log(x). */
static double loglog_slope(const double *x, const double *y, int n) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int k = 0;
  for (int i = 0; i < n; i++) {
    if (!(x[i] > 0 && y[i] > 0)) continue;
    double a = log(x[i]), b = log(y[i]);
    sx += a, sy += b, sxx += a * a, sxy += a * b;
    k++;
  }
  if (k < 2) return NAN;
  return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

int pp_pann_fit(const pp_lib *lib, const pp_pann_fit_opts *o, pp_pann_power *pw, pp_pann_claims *cl, pp_err *e) {
  if (o->min_bits < 2 || o->max_bits > 8 || o->min_bits > o->max_bits)
    return pp_err_set(e, PP_EINVAL, "", 0, "fit widths must lie in 2..8 (got %d..%d)", o->min_bits, o->max_bits);
  if (o->samples < 50) return pp_err_set(e, PP_EINVAL, "", 0, "fit needs at least 50 samples per part (got %d)", o->samples);
  if (o->acc_bits < 17 || o->acc_bits > 40)
    return pp_err_set(e, PP_EINVAL, "", 0, "accumulator width must be 17..40 bits (got %d)", o->acc_bits);
  memset(pw, 0, sizeof *pw);
  memset(cl, 0, sizeof *cl);
  pw->acc_bits = o->acc_bits;
  pp_rng r;
  pp_rng_seed(&r, o->seed);
  double *gX = NULL, *gy = NULL;
  long gn = 0;
  int st = PP_OK;
  for (int b = o->min_bits; b <= o->max_bits; b++) {
    int i = b - 2;
    if ((st = fit_mult(lib, o, b, &r, &pw->mult[i], &gX, &gy, &gn, &cl->mult_random_fj[i], e))) break;
    if ((st = fit_acc(lib, o, b, b, 2 * b, 0, &r, &pw->acc[i], e))) break;
    int wb, ab;
    pann_adder_widths(b, &wb, &ab);
    if ((st = fit_acc(lib, o, wb, ab, b, 1, &r, &pw->add[i], e))) break;
    pw->have[i] = 1;
  }
  if (!st && gn > 2) {
    double c[2];
    if (!(st = pp_pann_lsq(gX, gy, gn, 2, c, e))) {
      cl->global.k0 = c[0];
      cl->global.k1 = c[1];
      pp_pann_fit_eval(gX, gy, gn, 2, c, &cl->global.fit);
    }
  }
  free(gX);
  free(gy);
  if (st) return st;
  /* claims from the fitted models and the direct random-stream means */
  double bw[7], mr[7], ea[7];
  int nb = 0;
  for (int b = o->min_bits; b <= o->max_bits; b++) {
    int i = b - 2;
    double em;
    pp_pann_ref_mac_parts(pw, b, PP_PANN_SIGNED, 64, o->seed, &em, &cl->acc_signed_fj[i]);
    pp_pann_ref_mac_parts(pw, b, PP_PANN_SPLIT, 64, o->seed, &em, &cl->acc_split_fj[i]);
    cl->add_random_fj[i] = pp_pann_ref_add_energy(pw, b, 1.0, 64, o->seed);
    bw[nb] = b;
    mr[nb] = cl->mult_random_fj[i];
    ea[nb] = cl->add_random_fj[i];
    nb++;
  }
  cl->mult_exponent = loglog_slope(bw, mr, nb);
  cl->add_exponent = loglog_slope(bw, ea, nb);
  return PP_OK;
}

