/* pann/compare: accuracy against power at equal power for plain b-bit
 * quantization and PANN, on one pre-trained float model, plus the energy of
 * module nn's own int8 integer path (the int8 network, or a PowerPruning-
 * restricted one) under the same bit-flip models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

void pp_pann_compare_defaults(pp_pann_compare_opts *o) {
  memset(o, 0, sizeof *o);
  o->calib_images = 1000;
  o->val_images = 2000;
  o->test_images = 0;
  o->energy_images = 10;
  o->accum = PP_PANN_SPLIT;
  o->K_ref = 64;
  o->bias_corr = 1;
  o->min_bits = 2;
  o->max_bits = 8;
  o->seed = 1;
  o->lsq = 1;
  o->alloc = PP_PANN_ALLOC_UNIFORM;
  o->match = PP_PANN_MATCH_TRACE;
  o->trace_images = 10;
  o->pann_bx_min = 2;
  o->pann_bx_max = 8;
  o->alloc_max_evals = 120;
}

static int push(pp_pann_compare *c, const pp_pann_point *p) {
  if (c->n == c->cap) {
    int nc = c->cap ? 2 * c->cap : 64;
    pp_pann_point *np = realloc(c->pts, sizeof *np * (size_t)nc);
    if (!np) return PP_ENOMEM;
    c->pts = np;
    c->cap = nc;
  }
  c->pts[c->n++] = *p;
  return PP_OK;
}

void pp_pann_compare_free(pp_pann_compare *c) {
  free(c->pts);
  memset(c, 0, sizeof *c);
}

void pp_pann_compare_plan_opts(const pp_pann_compare_opts *o, const pp_nn_data *train, pp_pann_plan_opts *po) {
  pp_pann_plan_defaults(po);
  po->alloc = o->alloc;
  po->lsq = o->lsq;
  po->bias_corr = o->bias_corr;
  po->accum = o->accum;
  po->K_ref = o->K_ref;
  po->bx_min = o->pann_bx_min;
  po->bx_max = o->pann_bx_max;
  po->val = train;
  po->val_first = o->calib_images;
  po->val_count = o->val_images;
  po->trace = train;
  po->trace_first = 0;
  po->trace_count = o->trace_images > 0 && o->trace_images < train->n ? o->trace_images : 1;
  po->alloc_max_evals = o->alloc_max_evals;
  po->seed = o->seed;
}

int pp_pann_compare_run(const pp_nn_model *m, const pp_nn_data *train, const pp_nn_data *test, const pp_pann_power *pw,
                        const pp_pann_compare_opts *o, pp_pann_compare *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  if (o->calib_images + o->val_images > train->n || o->calib_images < 1 || o->val_images < 1)
    return pp_err_set(e, PP_EINVAL, "", 0, "calibration (%d) and validation (%d) images exceed the %d training images",
                      o->calib_images, o->val_images, train->n);
  if (o->min_bits < 2 || o->max_bits > 8 || o->min_bits > o->max_bits)
    return pp_err_set(e, PP_EINVAL, "", 0, "bit widths must lie in 2..8");
  for (int b = 2; b <= 8; b++)
    if (!pw->have[b - 2]) return pp_err_set(e, PP_EINVAL, "", 0, "the power model lacks width %d (fit 2..8)", b);
  int nt = o->test_images > 0 && o->test_images < test->n ? o->test_images : test->n;
  int ne = o->energy_images > 0 ? (o->energy_images < nt ? o->energy_images : nt) : 1;
  int v0 = o->calib_images, nv = o->val_images;
  pp_pann_net *net;
  int st = pp_pann_net_create(m, train, 0, o->calib_images, &net, e);
  if (st) return st;
  pp_pann_qspec s = {.mode = PP_PANN_Q_FLOAT};
  if ((st = pp_pann_net_quantize(net, &s, e)) || (st = pp_pann_net_eval(net, test, 0, nt, &out->float_acc, NULL, e)))
    goto done;
  out->test_images = nt;
  /* plain b-bit networks */
  for (int b = o->min_bits; b <= o->max_bits; b++) {
    pp_pann_point p = {0};
    snprintf(p.method, sizeof p.method, "uniform");
    p.budget_bits = b;
    p.w_bits = p.a_bits = b;
    s = (pp_pann_qspec){.mode = PP_PANN_Q_UNIFORM, .w_bits = b, .a_bits = b, .bias_corr = o->bias_corr};
    if ((st = pp_pann_net_quantize(net, &s, e))) goto done;
    double rsum = 0, wsum = 0;
    for (int i = 0; i < pp_pann_net_nlayers(net); i++) {
      pp_pann_layer_info li;
      pp_pann_net_layer(net, i, &li);
      rsum += li.r * li.M * li.K;
      wsum += (double)li.M * li.K;
    }
    p.R = rsum / wsum;
    p.ref_fj = p.budget_fj = pp_pann_ref_mac_energy(pw, b, o->accum, o->K_ref, o->seed);
    pp_pann_energy en;
    if ((st = pp_pann_net_eval(net, train, v0, nv, &p.val_acc, NULL, e)) ||
        (st = pp_pann_net_eval(net, test, 0, nt, &p.test_acc, NULL, e)) ||
        (st = pp_pann_net_energy(net, pw, o->accum, test, 0, ne, &en, e)))
      goto done;
    p.trace_fj = en.e_per_mac;
    p.target_fj = p.achieved_fj = NAN;
    p.chosen = 1;
    if ((st = push(out, &p))) goto oom;
  }
  /* PANN at the power of each b-bit MAC (pp_pann_plan_run): for every
   * activation width the R that spends it, matched on the reference streams
   * and/or on the b-bit network's own trace; the width with the best
   * validation accuracy is reported on the test set. */
  pp_pann_plan_opts po;
  pp_pann_compare_plan_opts(o, train, &po);
  for (int mi = 0; mi < 2; mi++) {
    int match = mi == 0 ? PP_PANN_MATCH_TRACE : PP_PANN_MATCH_REF;
    if (o->match != PP_PANN_MATCH_BOTH && o->match != match) continue;
    po.match = match;
    for (int b = o->min_bits; b <= o->max_bits; b++) {
      pp_pann_plan pl;
      if ((st = pp_pann_plan_run(net, pw, b, 0, &po, &pl, e))) goto done;
      pp_pann_point p = {0};
      snprintf(p.method, sizeof p.method, "pann");
      snprintf(p.match, sizeof p.match, "%s", match == PP_PANN_MATCH_TRACE ? "trace" : "ref");
      p.budget_bits = b;
      p.budget_fj = pl.budget_fj;
      p.target_fj = pl.target_fj;
      p.a_bits = pl.a_bits;
      p.R = pl.R;
      p.val_acc = pl.val_acc;
      p.achieved_fj = pl.achieved_fj;
      double rs = 0, ms = 0;
      for (int l = 0; l < pl.nl; l++) {
        pp_pann_layer_info li;
        pp_pann_net_layer(net, l, &li);
        rs += li.macs * pl.layer_R[l] * pp_pann_ref_add_energy(pw, pl.a_bits, pl.layer_R[l], o->K_ref, o->seed);
        ms += li.macs;
      }
      p.ref_fj = rs / ms;
      p.greedy = o->alloc == PP_PANN_ALLOC_GREEDY;
      pp_pann_energy en;
      if ((st = pp_pann_net_eval(net, test, 0, nt, &p.test_acc, NULL, e)) ||
          (st = pp_pann_net_energy(net, pw, o->accum, test, 0, ne, &en, e)))
        goto done;
      p.trace_fj = en.e_per_mac;
      p.chosen = 1;
      if ((st = push(out, &p))) goto oom;
      /* the other widths tried (uniform R), validation only */
      for (int bx = 2; bx <= 8; bx++) {
        if (bx == pl.a_bits || isnan(pl.cand_R[bx - 2])) continue;
        pp_pann_point q = p;
        q.a_bits = bx;
        q.R = pl.cand_R[bx - 2];
        q.val_acc = pl.cand_val_acc[bx - 2];
        q.achieved_fj = pl.cand_fj[bx - 2];
        q.ref_fj = q.R * pp_pann_ref_add_energy(pw, bx, q.R, o->K_ref, o->seed);
        q.test_acc = q.trace_fj = NAN;
        q.greedy = 0;
        q.chosen = 0;
        if ((st = push(out, &q))) goto oom;
      }
    }
  }
  goto done;
oom:
  st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
done:
  pp_pann_net_free(net);
  if (st) pp_pann_compare_free(out);
  return st;
}

/* ---- module nn's int8 integer path under the bit-flip models -------------------- */

typedef struct qctx {
  const pp_pann_power *pw;
  int accum;
  pp_pann_energy *en;
} qctx;

static int qhook(const pp_nn_qgemm *g, void *vctx) {
  qctx *c = vctx;
  const pp_pann_mult_model *mm = &c->pw->mult[6];
  const pp_pann_acc_model *am = &c->pw->acc[6];
  int split = c->accum == PP_PANN_SPLIT;
  int Mg = g->M / g->groups;
  int64_t pw0 = 0, pa0 = 0, px[2] = {0, 0}, pp[2] = {0, 0};
  for (int grp = 0; grp < g->groups; grp++) {
    const uint8_t *x = g->x + (size_t)grp * g->K * g->N;
    for (int j = 0; j < g->N; j++)
      for (int mm_ = 0; mm_ < Mg; mm_++) {
        const int8_t *wr = g->w + (size_t)(grp * Mg + mm_) * g->K;
        int64_t acc[2] = {0, 0};
        for (int k = 0; k < g->K; k++) {
          int64_t w = wr[k], a = x[(size_t)k * g->N + j];
          int which = split && w < 0;
          int64_t wm = split ? (w < 0 ? -w : w) : w;
          c->en->macs += 1;
          c->en->e_mult += pp_pann_mult_energy(mm, pw0, pa0, wm, a);
          pw0 = wm, pa0 = a;
          if (split && w == 0) continue;
          int64_t xv = wm * a;
          c->en->e_acc += pp_pann_acc_energy(am, px[which], pp[which], xv, acc[which]);
          px[which] = xv, pp[which] = acc[which];
          acc[which] = pp_pann_wrap(acc[which] + xv, am->acc_bits);
          c->en->additions += 1;
        }
      }
  }
  return 0;
}

int pp_pann_qmodel_energy(const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count, const pp_pann_power *pw,
                          int accum, pp_pann_energy *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  if (!pw->have[6]) return pp_err_set(e, PP_EINVAL, "", 0, "the power model lacks the 8-bit MAC");
  qctx c = {pw, accum, out};
  int st = pp_nn_qrun(q, d, first, count, qhook, &c, NULL, NULL, NULL, e);
  if (st) return st;
  out->e_total = out->e_mult + out->e_acc;
  out->e_per_mac = out->macs > 0 ? out->e_total / out->macs : 0;
  return PP_OK;
}
