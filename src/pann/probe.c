/* pann/probe: the activation width of a PANN deployment chosen by what a
 * short quantization-aware fine-tuning makes of each width, on validation
 * images (pann.h, pp_pann_qat_probe). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

/* Validation accuracy and loss of m deployed at bx-bit activations and the
 * per-layer R the probe ended with (no matching, no bias correction). */
static int judge(const pp_nn_model *m, const pp_nn_data *train, const pp_pann_power *pw, int budget_bits,
                 const pp_pann_plan_opts *po, int calib, int bx, const double *R, double *acc, double *loss, pp_err *e) {
  pp_pann_net *n;
  int st = pp_pann_net_create(m, train, 0, calib, &n, e);
  if (st) return st;
  pp_pann_plan_opts o = *po;
  o.bx_min = o.bx_max = bx;
  o.layer_R = R;
  o.alloc = PP_PANN_ALLOC_UNIFORM;
  o.match = PP_PANN_MATCH_REF;
  o.bias_corr = 0;
  pp_pann_plan p;
  if (!(st = pp_pann_plan_run(n, pw, budget_bits, 0, &o, &p, e)))
    st = pp_pann_net_eval_loss(n, po->val, po->val_first, po->val_count, acc, loss, NULL, e);
  pp_pann_net_free(n);
  return st;
}

int pp_pann_qat_probe(pp_nn_model *m, const pp_nn_data *train, const pp_pann_power *pw, int budget_bits,
                      const pp_pann_plan_opts *po, const pp_pann_qat_opts *qo, long probe_steps, pp_pann_probe *out,
                      pp_err *e) {
  memset(out, 0, sizeof *out);
  if (po->bx_min < 2 || po->bx_max > 8 || po->bx_min > po->bx_max || probe_steps < 1 || !po->val)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN probe: widths %d..%d, %ld steps, validation images needed", po->bx_min,
                      po->bx_max, probe_steps);
  float *params = malloc(sizeof(float) * m->nparams), *bufs = malloc(sizeof(float) * (m->nbufs ? m->nbufs : 1));
  if (!params || !bufs) {
    free(params);
    free(bufs);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  memcpy(params, m->params, sizeof(float) * m->nparams);
  if (m->nbufs) memcpy(bufs, m->bufs, sizeof(float) * m->nbufs);
  out->steps = probe_steps;
  out->chosen = -1;
  pp_nn_model_reset_training(m);
  int st = PP_OK;
  double best_acc = -1, best_loss = INFINITY;
  for (int bx = po->bx_min; bx <= po->bx_max && !st; bx++) {
    /* the plan at this width, before training */
    pp_pann_net *n;
    if ((st = pp_pann_net_create(m, train, 0, qo->calib_images, &n, e))) break;
    pp_pann_plan_opts o = *po;
    o.bx_min = o.bx_max = bx;
    o.alloc = PP_PANN_ALLOC_UNIFORM;
    pp_pann_plan p;
    st = pp_pann_plan_run(n, pw, budget_bits, 0, &o, &p, e);
    pp_pann_net_free(n);
    if (st) {
      if (st == PP_EINVAL) { /* the budget cannot carry this width: not a candidate */
        st = PP_OK;
        pp_err_clear(e);
        continue;
      }
      break;
    }
    int k = out->n++;
    out->bits[k] = bx;
    out->R[k] = p.R;
    out->post_val_acc[k] = p.val_acc;
    /* the probe: a short fine-tuning at the plan, energy held on the trace */
    pp_pann_qat_opts q = *qo;
    double Rout[PP_PANN_MAX_LAYERS];
    pp_pann_plan_opts mo = *po;
    mo.bias_corr = 0;
    q.steps = probe_steps;
    q.act_bits = bx;
    q.R = p.R;
    q.layer_R = p.layer_R;
    q.pw = pw;
    q.match_opts = &mo;
    q.target_fj = po->match == PP_PANN_MATCH_TRACE ? p.target_fj : 0;
    q.layer_R_out = Rout;
    if (qo->probe_start) qo->probe_start(bx, p.R, probe_steps, qo->progress_ctx);
    q.skip_first = po->val_first;
    q.skip_count = po->val_count;
    if (!(st = pp_pann_qat(m, train, &q, e)))
      st = judge(m, train, pw, budget_bits, po, qo->calib_images, bx, Rout, &out->probe_val_acc[k],
                 &out->probe_val_loss[k], e);
    memcpy(m->params, params, sizeof(float) * m->nparams); /* every probe starts from the same weights */
    pp_nn_model_reset_training(m);                         /* ... and a fresh optimizer */
    if (m->nbufs) memcpy(m->bufs, bufs, sizeof(float) * m->nbufs);
    if (st) break;
    double acc = out->probe_val_acc[k], loss = out->probe_val_loss[k];
    if (acc > best_acc || (acc == best_acc && loss < best_loss)) best_acc = acc, best_loss = loss, out->chosen = k;
  }
  free(params);
  free(bufs);
  if (!st && out->chosen < 0)
    st = pp_err_set(e, PP_EINVAL, "", 0, "PANN probe: the budget is too small for any activation width in %d..%d",
                    po->bx_min, po->bx_max);
  return st;
}
