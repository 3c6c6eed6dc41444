/* pann/plan: choosing a PANN network for a power budget. For each activation
 * width the budget gives a number of additions per input R; the budget is
 * met either on the reference streams of the models (R * E_add(bx) equals the
 * b-bit MAC's reference energy) or on the network's own products (R scaled
 * until the PANN network's trace energy equals the b-bit network's trace
 * energy on the same images). Optionally R is then moved between layers by a
 * greedy search on the validation loss under the same total energy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"
#include "pp/util_mem.h"

void pp_pann_plan_defaults(pp_pann_plan_opts *o) {
  memset(o, 0, sizeof *o);
  o->alloc = PP_PANN_ALLOC_UNIFORM;
  o->match = PP_PANN_MATCH_REF;
  o->lsq = 1;
  o->bias_corr = 1;
  o->accum = PP_PANN_SPLIT;
  o->K_ref = 64;
  o->bx_min = 2;
  o->bx_max = 8;
  o->alloc_step = 1.3;
  o->alloc_max_evals = 120;
  o->trace_tol = 0.005;
  o->seed = 1;
}

typedef struct ctx {
  pp_pann_net *n;
  const pp_pann_power *pw;
  const pp_pann_plan_opts *o;
  int nl, bx;
  double *macs;  /* per layer, per image */
  double total;  /* sum of macs */
  int evals;
} ctx;

static int quantize(ctx *c, const double *R, pp_err *e) {
  pp_pann_qspec s = {.mode = PP_PANN_Q_PANN, .a_bits = c->bx, .R = R[0], .bias_corr = c->o->bias_corr,
                     .lsq = c->o->lsq, .layer_R = R};
  return pp_pann_net_quantize(c->n, &s, e);
}

static int objective(ctx *c, const double *R, double *acc, double *loss, pp_err *e) {
  int st = quantize(c, R, e);
  if (!st)
    st = pp_pann_net_eval_loss(c->n, c->o->val, c->o->val_first, c->o->val_count, acc, loss, NULL, e);
  c->evals++;
  return st;
}

/* Trace energy per MAC of the PANN network at R (and per layer, may be NULL). */
static int trace_energy(ctx *c, const double *R, double *fj, pp_pann_energy *layers, pp_err *e) {
  int st = quantize(c, R, e);
  pp_pann_energy en = {0};
  if (!st)
    st = pp_pann_net_energy_layers(c->n, c->pw, c->o->accum, c->o->trace, c->o->trace_first, c->o->trace_count, &en,
                                   layers, e);
  if (!st) *fj = en.e_per_mac;
  return st;
}

/* Scales the shape R so that the trace energy per MAC meets target: fixed-
 * point steps R <- R * target/E (energy is close to proportional to R), kept
 * inside the bracket found so far, bisection in log scale when they stall. */
static int match_trace(ctx *c, double *R, double target, double *achieved, pp_err *e) {
  double *base = malloc(sizeof(double) * (size_t)c->nl), *cur = malloc(sizeof(double) * (size_t)c->nl);
  if (!base || !cur) {
    free(base);
    free(cur);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  memcpy(base, R, sizeof(double) * (size_t)c->nl);
  /* kept: the closest point at or under the target when one lies within
   * the tolerance, else the closest point (the energy moves in small steps,
   * as layers' mean |q| do) */
  double a = 1, lo = 0, hi = INFINITY, best_a = 1, best_err = INFINITY, best_E = NAN;
  double under_a = 0, under_E = NAN;
  int st = PP_OK;
  for (int it = 0; it < 30; it++) {
    for (int l = 0; l < c->nl; l++) cur[l] = base[l] * a;
    double E;
    if ((st = trace_energy(c, cur, &E, NULL, e))) break;
    double err = fabs(E / target - 1);
    if (err < best_err) best_err = err, best_a = a, best_E = E;
    if (E <= target && (isnan(under_E) || E > under_E)) under_E = E, under_a = a;
    if (!isnan(under_E) && under_E >= target * (1 - c->o->trace_tol)) break;
    if (E > target) hi = a < hi ? a : hi;
    else lo = a > lo ? a : lo;
    if (isfinite(hi) && hi / lo < 1 + 1e-6) break;
    double na = E > 0 ? a * target / E : 2 * a;
    if (!(na > lo && na < hi) || it >= 6) na = isfinite(hi) ? (lo > 0 ? sqrt(lo * hi) : hi / 2) : 2 * a;
    a = na;
  }
  if (!isnan(under_E) && under_E >= target * (1 - c->o->trace_tol)) best_a = under_a, best_E = under_E;
  if (!st) {
    for (int l = 0; l < c->nl; l++) R[l] = base[l] * best_a;
    *achieved = best_E;
  }
  free(base);
  free(cur);
  return st;
}

int pp_pann_match_trace(pp_pann_net *n, const pp_pann_power *pw, const pp_pann_plan_opts *o, int bx, double *R,
                        double target, double *achieved, pp_err *e) {
  if (!o->trace || o->trace_count < 1 || o->trace_first < 0 || o->trace_first + o->trace_count > o->trace->n)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: trace images out of range");
  if (bx < 2 || bx > 8 || !(target > 0))
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: trace matching needs 2..8-bit activations and a target > 0");
  ctx c = {.n = n, .pw = pw, .o = o, .nl = pp_pann_net_nlayers(n), .bx = bx};
  return match_trace(&c, R, target, achieved, e);
}

/* Greedy allocation: moves weighted energy between layers while keeping
 * sum_l w_l R_l fixed; accepts a move only when the validation loss falls. */
static int greedy(ctx *c, double *R, const double *w, double *loss, pp_err *e) {
  int nl = c->nl;
  double *cand = malloc(sizeof(double) * (size_t)nl), *bestR = malloc(sizeof(double) * (size_t)nl);
  if (!cand || !bestR) {
    free(cand);
    free(bestR);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  double C = 0;
  for (int l = 0; l < nl; l++) C += w[l] * R[l];
  double f = c->o->alloc_step > 1.01 ? c->o->alloc_step : 1.3, acc;
  int st = PP_OK, start = c->evals;
  while (f > 1.04 && c->evals - start < c->o->alloc_max_evals && !st) {
    double best = *loss;
    int moved = 0;
    for (int l = 0; l < nl && !st; l++)
      for (int dir = -1; dir <= 1; dir += 2) {
        double rl = R[l] * (dir > 0 ? f : 1 / f), rest = 0;
        for (int j = 0; j < nl; j++)
          if (j != l) rest += w[j] * R[j];
        double beta = rest > 0 ? (C - w[l] * rl) / rest : -1;
        if (!(beta > 0) || nl < 2) continue;
        for (int j = 0; j < nl; j++) cand[j] = j == l ? rl : R[j] * beta;
        double ls;
        if ((st = objective(c, cand, &acc, &ls, e))) break;
        if (ls < best - 1e-9) best = ls, moved = 1, memcpy(bestR, cand, sizeof(double) * (size_t)nl);
      }
    if (st) break;
    if (moved) {
      memcpy(R, bestR, sizeof(double) * (size_t)nl);
      *loss = best;
    } else {
      f = sqrt(f);
    }
  }
  free(cand);
  free(bestR);
  return st;
}

int pp_pann_plan_run(pp_pann_net *n, const pp_pann_power *pw, int budget_bits, double budget_fj,
                     const pp_pann_plan_opts *o, pp_pann_plan *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  int nl = pp_pann_net_nlayers(n);
  if (nl < 1 || nl > PP_PANN_MAX_LAYERS)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: %d conv/fc layers (1..%d supported)", nl, PP_PANN_MAX_LAYERS);
  if (!o->val || o->val_count < 1 || o->val_first < 0 || o->val_first + o->val_count > o->val->n)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: validation images out of range");
  if (o->match == PP_PANN_MATCH_TRACE &&
      (!o->trace || o->trace_count < 1 || o->trace_first < 0 || o->trace_first + o->trace_count > o->trace->n))
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: trace images out of range");
  if (o->match == PP_PANN_MATCH_TRACE && (budget_bits < 2 || budget_bits > 8))
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: matching on the trace needs a b-bit budget (2..8), got %d",
                      budget_bits);
  if (o->bx_min < 2 || o->bx_max > 8 || o->bx_min > o->bx_max)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: activation widths must lie in 2..8");
  if (o->alloc != PP_PANN_ALLOC_UNIFORM && o->alloc != PP_PANN_ALLOC_GREEDY)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: unknown allocation %d", o->alloc);
  double P = budget_bits ? pp_pann_ref_mac_energy(pw, budget_bits, o->accum, o->K_ref, o->seed) : budget_fj;
  if (!(P > 0)) return pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: no budget (is the width fitted?)");
  ctx c = {.n = n, .pw = pw, .o = o, .nl = nl};
  c.macs = malloc(sizeof(double) * (size_t)nl);
  double *R = malloc(sizeof(double) * (size_t)nl), *w = malloc(sizeof(double) * (size_t)nl);
  pp_pann_energy *le = malloc(sizeof *le * (size_t)nl);
  int st = PP_OK;
  if (!c.macs || !R || !w || !le) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto done;
  }
  for (int l = 0; l < nl; l++) {
    pp_pann_layer_info li;
    pp_pann_net_layer(n, l, &li);
    c.macs[l] = li.macs;
    c.total += li.macs;
  }
  out->budget_bits = budget_bits;
  out->budget_fj = P;
  out->nl = nl;
  out->target_fj = P;
  if (o->match == PP_PANN_MATCH_TRACE) {
    /* the b-bit network's own energy on the trace images */
    pp_pann_qspec s = {.mode = PP_PANN_Q_UNIFORM, .w_bits = budget_bits, .a_bits = budget_bits,
                       .bias_corr = o->bias_corr};
    pp_pann_energy en;
    if ((st = pp_pann_net_quantize(n, &s, e)) ||
        (st = pp_pann_net_energy(n, pw, o->accum, o->trace, o->trace_first, o->trace_count, &en, e)))
      goto done;
    out->target_fj = en.e_per_mac;
  }
  for (int b = 0; b < 7; b++) out->cand_R[b] = out->cand_val_acc[b] = out->cand_fj[b] = NAN;
  /* 1. the activation width: uniform R at the budget, best validation accuracy */
  int best_bx = 0;
  double best_acc = -1, best_loss = INFINITY;
  for (int bx = o->bx_min; bx <= o->bx_max; bx++) {
    double R0 = o->fixed_R > 0 ? o->fixed_R : pp_pann_budget_R(pw, bx, P, o->K_ref, o->seed);
    if (!(R0 >= 0.02)) continue; /* too few additions to carry the network */
    c.bx = bx;
    for (int l = 0; l < nl; l++) R[l] = R0;
    double fj = R0 * pp_pann_ref_add_energy(pw, bx, R0, o->K_ref, o->seed), acc, loss;
    if (o->layer_R)
      for (int l = 0; l < nl; l++) R[l] = o->layer_R[l];
    else if (o->fixed_R <= 0 && o->match == PP_PANN_MATCH_TRACE && (st = match_trace(&c, R, out->target_fj, &fj, e)))
      goto done;
    if ((st = objective(&c, R, &acc, &loss, e))) goto done;
    out->cand_R[bx - 2] = R[0];
    out->cand_val_acc[bx - 2] = acc;
    out->cand_fj[bx - 2] = fj;
    if (acc > best_acc || (acc == best_acc && loss < best_loss)) best_acc = acc, best_loss = loss, best_bx = bx;
  }
  if (!best_bx) {
    st = pp_err_set(e, PP_EINVAL, "", 0, "PANN plan: the budget (%.3g fJ per MAC) is too small for any activation width", P);
    goto done;
  }
  c.bx = best_bx;
  out->a_bits = best_bx;
  for (int l = 0; l < nl; l++) R[l] = o->layer_R ? o->layer_R[l] : out->cand_R[best_bx - 2];
  out->achieved_fj = out->cand_fj[best_bx - 2];
  out->val_acc = best_acc;
  out->val_loss = best_loss;
  out->R_uniform = R[0];
  out->val_acc_uniform = best_acc;
  /* 2. allocation between layers */
  if (o->alloc == PP_PANN_ALLOC_GREEDY && nl > 1 && o->fixed_R <= 0 && !o->layer_R) {
    double fj0 = out->achieved_fj;
    if (o->match == PP_PANN_MATCH_TRACE) {
      /* weights: trace energy per addition of each layer at the uniform point */
      double E;
      if ((st = trace_energy(&c, R, &E, le, e))) goto done;
      for (int l = 0; l < nl; l++) w[l] = c.macs[l] * (le[l].additions > 0 ? le[l].e_total / le[l].additions : 1);
    } else {
      for (int l = 0; l < nl; l++) w[l] = c.macs[l];
    }
    double *R1 = malloc(sizeof(double) * (size_t)nl);
    if (!R1) {
      st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
      goto done;
    }
    memcpy(R1, R, sizeof(double) * (size_t)nl);
    double loss = best_loss, acc = best_acc, fj = fj0;
    st = greedy(&c, R1, w, &loss, e);
    if (!st && o->match == PP_PANN_MATCH_TRACE) st = match_trace(&c, R1, out->target_fj, &fj, e);
    if (!st) st = objective(&c, R1, &acc, &loss, e);
    if (!st && o->match != PP_PANN_MATCH_TRACE) {
      double s = 0; /* reference energy of the allocation */
      for (int l = 0; l < nl; l++) s += c.macs[l] * R1[l] * pp_pann_ref_add_energy(pw, best_bx, R1[l], o->K_ref, o->seed);
      fj = s / c.total;
    }
    if (!st && loss < best_loss) { /* never keep an allocation worse than uniform on the objective */
      memcpy(R, R1, sizeof(double) * (size_t)nl);
      out->val_acc = acc;
      out->val_loss = loss;
      out->achieved_fj = fj;
    }
    free(R1);
    if (st) goto done;
  }
  if ((st = quantize(&c, R, e))) goto done;
  double rs = 0;
  for (int l = 0; l < nl; l++) {
    out->layer_R[l] = R[l];
    rs += c.macs[l] * R[l];
  }
  out->R = rs / c.total;
  out->evals = c.evals;
done:
  PP_FREE_ALL(c.macs, R, w, le);
  return st;
}
