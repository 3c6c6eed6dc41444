/* cli/cmd_pann_qat: `powerprune pann qat`, PANN during training: straight-through
 * fine-tuning at the R a budget gives */
#include "pann_cli.h"

/* Plans the PANN network of the budget on model m (fresh calibration) and
 * reports its test accuracy. */
static int plan_and_test(const args *a, pp_nn_model *m, loaded *L, const pp_pann_power *pw, pp_pann_plan *pl,
                         double *test_acc, double *trace_fj, pp_err *e) {
  pp_pann_net *net;
  int st = pp_pann_net_create(m, &L->train, 0, a->calib, &net, e);
  if (st) return st;
  pp_pann_plan_opts po;
  pp_cli_pann_plan_opts(a, L, &po);
  int nt = a->test > 0 && a->test < L->test.n ? a->test : L->test.n;
  pp_pann_energy en = {0};
  if (!(st = pp_pann_plan_run(net, pw, a->budget_bits, 0, &po, pl, e)) &&
      !(st = pp_pann_net_eval(net, &L->test, 0, nt, test_acc, NULL, e)))
    st = pp_pann_net_energy(net, pw, a->accum, &L->test, 0, a->energy_images < nt ? a->energy_images : nt, &en, e);
  if (!st) *trace_fj = en.e_per_mac;
  pp_pann_net_free(net);
  return st;
}

static void qat_progress(long step, double loss, double acc, void *ctx) {
  (void)ctx;
  fprintf(stderr, "powerprune pann qat: step %ld: loss %.4f, batch accuracy %.2f%% (quantized network)\n", step, loss, acc);
}

int pp_cli_pann_qat(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  if (!a->save) return pp_cli_usage("pann", "qat needs --save F (the fine-tuned float model)");
  if (a->budget_bits < 2) return pp_cli_usage("pann", "qat needs --budget-bits B (the deployment the training targets)");
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted, rc;
  loaded L;
  if (pp_cli_pann_load(a, &L, &e) || pp_cli_pann_power(a, &pw, &cl, &fitted, &e)) goto fail;
  if (a->calib + a->val > L.train.n) {
    pp_err_set(&e, PP_EINVAL, "", 0, "--calib + --val (%d) exceed the %d training images", a->calib + a->val, L.train.n);
    goto fail;
  }
  /* the activation width: by short fine-tuning probes on validation images */
  pp_pann_probe pr;
  int probed = 0;
  args a1 = *a;
  char bx_probe[8];
  if (!a->float_acts && !strcmp(a->act_bits, "auto") && a->probe_steps > 0 && a->R_fixed <= 0) {
    pp_pann_plan_opts po;
    pp_cli_pann_plan_opts(a, &L, &po);
    pp_pann_qat_opts qo;
    pp_pann_qat_defaults(&qo);
    qo.lsq = a->lsq;
    qo.lr = a->lr;
    qo.calib_images = a->calib;
    qo.seed = (uint64_t)a->seed;
    fprintf(stderr, "powerprune pann qat: probing activation widths %d..%d, %d steps each\n", po.bx_min, po.bx_max,
            a->probe_steps);
    if (pp_pann_qat_probe(L.m, &L.train, &pw, a->budget_bits, &po, &qo, a->probe_steps, &pr, &e)) goto fail;
    for (int k = 0; k < pr.n; k++)
      fprintf(stderr, "powerprune pann qat: %d-bit activations, R %.3f: validation %.2f%% untrained, %.2f%% after the probe%s\n",
              pr.bits[k], pr.R[k], pr.post_val_acc[k], pr.probe_val_acc[k], k == pr.chosen ? " (chosen)" : "");
    probed = 1;
    snprintf(bx_probe, sizeof bx_probe, "%d", pr.bits[pr.chosen]);
    a1.act_bits = bx_probe;
  }
  /* the deployment before training: activation width, R per layer */
  pp_pann_plan p0, p1;
  double acc0, acc1, fj0, fj1;
  if (plan_and_test(&a1, L.m, &L, &pw, &p0, &acc0, &fj0, &e)) goto fail;
  int bx = p0.a_bits;
  fprintf(pp_cli_pann_out, "before: %d-bit activations, R %.3f (%s-matched, %s allocation): test %.2f%%, trace %.3f fJ/MAC (target %.3f)\n",
         bx, p0.R, a->match == PP_PANN_MATCH_TRACE ? "trace" : "reference",
         a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform", acc0, fj0, p0.target_fj);
  fflush(stdout);
  pp_pann_qat_opts o;
  pp_pann_qat_defaults(&o);
  o.R = a->R_fixed > 0 ? a->R_fixed : p0.R;
  o.layer_R = a->R_fixed > 0 ? NULL : p0.layer_R;
  o.act_bits = a->float_acts ? 0 : bx;
  o.lsq = a->lsq;
  o.steps = a->steps;
  o.lr = a->lr;
  o.calib_images = a->calib;
  o.skip_first = a->calib; /* the validation images judge the width: never trained on */
  o.skip_count = a->val;
  o.seed = (uint64_t)a->seed;
  o.progress = qat_progress;
  /* the energy held during training: the trace target of the pre-trained
   * model's b-bit network (MATCH_TRACE), trace energies without bias
   * correction (the trained biases replace it) */
  pp_pann_plan_opts mo;
  pp_cli_pann_plan_opts(a, &L, &mo);
  mo.bias_corr = 0;
  double Rout[PP_PANN_MAX_LAYERS];
  o.pw = &pw;
  o.match_opts = &mo;
  o.target_fj = (a->match == PP_PANN_MATCH_TRACE && o.act_bits && a->R_fixed <= 0) ? p0.target_fj : 0;
  o.layer_R_out = Rout;
  if (pp_pann_qat(L.m, &L.train, &o, &e) || pp_nn_model_save(L.m, a->save, &e)) goto fail;
  /* the deployment after training: the R the training ended with, no bias
   * correction; energies on the trace (training) and test images */
  {
    args a2 = *a;
    a2.bias_corr = 0;
    a2.R_fixed = 0;
    char bxs[8];
    snprintf(bxs, sizeof bxs, "%d", bx);
    a2.act_bits = bxs;
    pp_pann_net *net;
    if (pp_pann_net_create(L.m, &L.train, 0, a->calib, &net, &e)) goto fail;
    pp_pann_plan_opts po;
    pp_cli_pann_plan_opts(&a2, &L, &po);
    po.layer_R = Rout;
    po.match = PP_PANN_MATCH_REF;
    int nt = a->test > 0 && a->test < L.test.n ? a->test : L.test.n;
    pp_pann_energy en, et;
    int st = pp_pann_plan_run(net, &pw, a->budget_bits, 0, &po, &p1, &e);
    if (!st) st = pp_pann_net_eval(net, &L.test, 0, nt, &acc1, NULL, &e);
    if (!st) st = pp_pann_net_energy(net, &pw, a->accum, &L.test, 0, a->energy_images < nt ? a->energy_images : nt, &en, &e);
    if (!st) st = pp_pann_net_energy(net, &pw, a->accum, mo.trace, mo.trace_first, mo.trace_count, &et, &e);
    pp_pann_net_free(net);
    if (st) goto fail;
    fj1 = en.e_per_mac;
    p1.achieved_fj = et.e_per_mac;
    p1.target_fj = p0.target_fj;
  }
  fprintf(pp_cli_pann_out, "after %d steps (%s activations in training): %d-bit activations, R %.3f: test %.2f%%, trace %.3f fJ/MAC on "
         "the trace images (target %.3f), %.3f on the test images; saved %s\n",
         a->steps, o.act_bits ? "quantized" : "float", p1.a_bits, p1.R, acc1, p1.achieved_fj, p1.target_fj, fj1, a->save);
  if (a->json) {
    fflush(stdout);
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_json_obj_begin(&j);
    pp_json_key(&j, "format");
    pp_json_str(&j, "powerprune-pann-qat/1");
    pp_json_key(&j, "model_file");
    pp_json_str(&j, a->model);
    pp_json_key(&j, "saved");
    pp_json_str(&j, a->save);
    pp_json_key(&j, "budget_bits");
    pp_json_int(&j, a->budget_bits);
    pp_json_key(&j, "match");
    pp_json_str(&j, a->match == PP_PANN_MATCH_TRACE ? "trace" : "ref");
    pp_json_key(&j, "alloc");
    pp_json_str(&j, a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
    pp_json_key(&j, "steps");
    pp_json_int(&j, a->steps);
    pp_json_key(&j, "lr");
    pp_json_num(&j, a->lr);
    pp_json_key(&j, "train_act_bits");
    pp_json_int(&j, o.act_bits);
    pp_json_key(&j, "seed");
    pp_json_int(&j, a->seed);
    pp_json_key(&j, "power_file");
    if (a->power) pp_json_str(&j, a->power);
    else pp_json_null(&j);
    pp_json_key(&j, "calib_images");
    pp_json_int(&j, a->calib);
    pp_json_key(&j, "val_images");
    pp_json_int(&j, a->val);
    pp_json_key(&j, "width_choice");
    pp_json_str(&j, probed ? "qat-probe" : strcmp(a->act_bits, "auto") ? "fixed" : "post-training");
    pp_json_key(&j, "probe");
    if (probed) {
      pp_json_obj_begin(&j);
      pp_json_key(&j, "steps");
      pp_json_int(&j, pr.steps);
      pp_json_key(&j, "candidates");
      pp_json_arr_begin(&j);
      for (int k = 0; k < pr.n; k++) {
        pp_json_obj_begin(&j);
        pp_json_key(&j, "act_bits");
        pp_json_int(&j, pr.bits[k]);
        pp_json_key(&j, "R");
        pp_json_num(&j, pr.R[k]);
        pp_json_key(&j, "untrained_val_acc_pct");
        pp_json_num(&j, pr.post_val_acc[k]);
        pp_json_key(&j, "probe_val_acc_pct");
        pp_json_num(&j, pr.probe_val_acc[k]);
        pp_json_key(&j, "probe_val_loss");
        pp_json_num(&j, pr.probe_val_loss[k]);
        pp_json_key(&j, "chosen");
        pp_json_bool(&j, k == pr.chosen);
        pp_json_obj_end(&j);
      }
      pp_json_arr_end(&j);
      pp_json_obj_end(&j);
    } else
      pp_json_null(&j);
    pp_json_key(&j, "test_images");
    pp_json_int(&j, a->test > 0 && a->test < L.test.n ? a->test : L.test.n);
    for (int k = 0; k < 2; k++) {
      const pp_pann_plan *p = k ? &p1 : &p0;
      pp_json_key(&j, k ? "after" : "before");
      pp_json_obj_begin(&j);
      pp_json_key(&j, "act_bits");
      pp_json_int(&j, p->a_bits);
      pp_json_key(&j, "R");
      pp_json_num(&j, p->R);
      pp_json_key(&j, "target_fj_per_mac");
      pp_json_num(&j, p->target_fj);
      pp_json_key(&j, "trace_images_fj_per_mac");
      pp_json_num(&j, p->achieved_fj);
      pp_json_key(&j, "layer_R");
      pp_json_arr_begin(&j);
      for (int l = 0; l < p->nl; l++) pp_json_num(&j, p->layer_R[l]);
      pp_json_arr_end(&j);
      pp_json_key(&j, "trace_fj_per_mac");
      pp_json_num(&j, k ? fj1 : fj0);
      pp_json_key(&j, "test_acc_pct");
      pp_json_num(&j, k ? acc1 : acc0);
      pp_json_obj_end(&j);
    }
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  pp_cli_pann_unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_cli_pann_unload(&L);
  return rc;
}
