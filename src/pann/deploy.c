/* pann/deploy: from a float model to the fine-tuned PANN network of a budget
 * in one call (pann.h, pp_pann_deploy_run): the activation width by QAT
 * probes on validation images, the plan before training, quantization-aware
 * fine-tuning with the energy held, the plan the training ended with, and the
 * test accuracy and energy of both. `pann qat` and the flow's PANN stage both
 * go through it, so that their numbers are one computation. */
#include <math.h>
#include <string.h>

#include "pp/pann.h"

void pp_pann_deploy_defaults(pp_pann_deploy_opts *o) {
  memset(o, 0, sizeof *o);
  pp_pann_plan_defaults(&o->plan);
  pp_pann_qat_defaults(&o->qat);
  o->qat.act_bits = -1; /* the plan's width */
  o->probe_steps = 300;
  o->energy_images = 10;
}

/* Deploys m at the budget with po (a fresh calibration on the first calib
 * training images) and measures the test images: accuracy over [test_first,
 * +test_count), energy per MAC over the first energy_images of them. */
static int deploy_and_test(const pp_nn_model *m, const pp_nn_data *train, const pp_pann_power *pw,
                           const pp_pann_deploy_opts *o, const pp_pann_plan_opts *po, pp_pann_plan *pl, double *acc,
                           double *fj, double *trace_fj, pp_err *e) {
  pp_pann_net *net;
  int st = pp_pann_net_create(m, train, 0, o->qat.calib_images, &net, e);
  if (st) return st;
  int ne = o->energy_images < o->test_count ? o->energy_images : o->test_count;
  pp_pann_energy en = {0}, et = {0};
  if (!(st = pp_pann_plan_run(net, pw, o->budget_bits, 0, po, pl, e)) &&
      !(st = pp_pann_net_eval(net, o->test, o->test_first, o->test_count, acc, NULL, e)))
    st = pp_pann_net_energy(net, pw, po->accum, o->test, o->test_first, ne, &en, e);
  if (!st && trace_fj) st = pp_pann_net_energy(net, pw, po->accum, po->trace, po->trace_first, po->trace_count, &et, e);
  if (!st) {
    *fj = en.e_per_mac;
    if (trace_fj) *trace_fj = et.e_per_mac;
  }
  pp_pann_net_free(net);
  return st;
}

int pp_pann_deploy_run(pp_nn_model *m, const pp_nn_data *train, const pp_pann_power *pw, const pp_pann_deploy_opts *o,
                       pp_pann_deploy *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  const pp_pann_plan_opts *po = &o->plan;
  if (o->budget_bits < 2 || o->budget_bits > 8)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN deployment: budget of %d bits, expected 2..8", o->budget_bits);
  if (!o->test || o->test_first < 0 || o->test_count < 1 || o->test_first + o->test_count > o->test->n)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN deployment: test images [%d, +%d) outside the set", o->test_first,
                      o->test_count);
  if (!po->val || po->val_count < 1 || po->val_first < o->qat.calib_images ||
      po->val_first + po->val_count > train->n)
    return pp_err_set(e, PP_EINVAL, "", 0,
                      "PANN deployment: validation images [%d, +%d) must follow the %d calibration images within "
                      "the %d training images",
                      po->val_first, po->val_count, o->qat.calib_images, train->n);
  /* the float model on the same test images */
  pp_nn_data tv = *o->test;
  tv.x += (size_t)o->test_first * (size_t)(tv.c * tv.h * tv.w);
  tv.y += o->test_first;
  tv.n = o->test_count;
  int st = pp_nn_eval(m, &tv, &out->float_test_acc, NULL, NULL, e);
  if (st) return st;
  /* the activation width: what a short fine-tuning makes of each width, on validation images */
  pp_pann_plan_opts p0o = *po;
  int float_acts = o->qat.act_bits == 0; /* else the plan's width */
  if (!float_acts && po->bx_min < po->bx_max && o->probe_steps > 0 && po->fixed_R <= 0) {
    if ((st = pp_pann_qat_probe(m, train, pw, o->budget_bits, po, &o->qat, o->probe_steps, &out->probe, e))) return st;
    out->probed = 1;
    p0o.bx_min = p0o.bx_max = out->probe.bits[out->probe.chosen];
  }
  /* the deployment before training */
  if ((st = deploy_and_test(m, train, pw, o, &p0o, &out->before, &out->test_acc_before, &out->test_fj_before, NULL,
                            e)))
    return st;
  const pp_pann_plan *p0 = &out->before;
  /* fine-tuning at that plan; the energy held on the trace is the one the plan matched (MATCH_TRACE), with trace
   * energies without bias correction (the trained biases replace it); the validation images are never trained on */
  pp_pann_qat_opts q = o->qat;
  pp_pann_plan_opts mo = *po;
  mo.bias_corr = 0;
  double Rout[PP_PANN_MAX_LAYERS];
  q.R = po->fixed_R > 0 ? po->fixed_R : p0->R;
  q.layer_R = po->fixed_R > 0 ? NULL : p0->layer_R;
  q.act_bits = float_acts ? 0 : p0->a_bits;
  q.skip_first = po->val_first;
  q.skip_count = po->val_count;
  q.pw = pw;
  q.match_opts = &mo;
  q.target_fj = (po->match == PP_PANN_MATCH_TRACE && q.act_bits && po->fixed_R <= 0) ? p0->target_fj : 0;
  q.layer_R_out = Rout;
  if ((st = pp_pann_qat(m, train, &q, e))) return st;
  out->act_bits_trained = q.act_bits;
  /* the deployment after training: the R the training ended with (or the
   * plan's when nothing rescaled it), no bias correction, no new matching */
  pp_pann_plan_opts p1o = *po;
  p1o.bias_corr = 0;
  p1o.fixed_R = 0;
  p1o.bx_min = p1o.bx_max = p0->a_bits;
  p1o.layer_R = Rout;
  p1o.match = PP_PANN_MATCH_REF;
  if ((st = deploy_and_test(m, train, pw, o, &p1o, &out->after, &out->test_acc_after, &out->test_fj_after,
                            &out->after.achieved_fj, e)))
    return st;
  out->after.target_fj = p0->target_fj;
  return PP_OK;
}
