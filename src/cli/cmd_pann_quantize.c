/* cli/cmd_pann_quantize: `powerprune pann quantize`, post-training PANN quantization of
 * a trained model at a power budget */
#include "pann_cli.h"

int pp_cli_pann_quantize(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  int nb = (a->budget_bits > 0) + !isnan(a->budget_fj) + !isnan(a->budget_uw);
  if (nb != 1) return pp_cli_usage("pann", "quantize needs exactly one of --budget-bits, --budget-fj, --budget-uw");
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted;
  loaded L;
  int rc = PP_EXIT_OK;
  pp_cli_pann_phase("loading %s and %s", a->model ? a->model : "the model", a->data);
  if (pp_cli_pann_load(a, &L, &e) || pp_cli_pann_power(a, &pw, &cl, &fitted, &e)) {
    rc = pp_cli_fail("pann", &e);
    pp_cli_pann_unload(&L);
    return rc;
  }
  for (int b = 2; b <= 8; b++)
    if (!pw.have[b - 2]) {
      pp_err_set(&e, PP_EINVAL, a->power ? a->power : "", 0, "the power model lacks width %d", b);
      pp_cli_pann_unload(&L);
      return pp_cli_fail("pann", &e);
    }
  double P = a->budget_bits ? pp_pann_ref_mac_energy(&pw, a->budget_bits, a->accum, 64, (uint64_t)a->seed)
             : !isnan(a->budget_fj) ? a->budget_fj
                                    : a->budget_uw / (a->clock_mhz * 1e-3); /* fJ/op * MHz * 1e-3 = uW */
  if (a->calib + a->val > L.train.n) {
    pp_err_set(&e, PP_EINVAL, "", 0, "--calib + --val (%d) exceed the %d training images", a->calib + a->val, L.train.n);
    pp_cli_pann_unload(&L);
    return pp_cli_fail("pann", &e);
  }
  int nt = a->test > 0 && a->test < L.test.n ? a->test : L.test.n;
  pp_pann_net *net = NULL;
  if (pp_pann_net_create(L.m, &L.train, 0, a->calib, &net, &e)) goto fail;
  pp_pann_plan_opts po;
  pp_cli_pann_plan_opts(a, &L, &po);
  if (po.match == PP_PANN_MATCH_TRACE && !a->budget_bits) {
    pp_err_set(&e, PP_EINVAL, "", 0, "--match trace needs --budget-bits (the b-bit network whose trace energy is matched)");
    goto fail;
  }
  pp_pann_plan pl;
  if (po.bx_min == po.bx_max)
    pp_cli_pann_phase("planning R for %.3f fJ per MAC at %d-bit activations", P, po.bx_min);
  else
    pp_cli_pann_phase("planning R for %.3f fJ per MAC, trying %d..%d-bit activations on %d validation images", P,
                      po.bx_min, po.bx_max, po.val_count);
  if (pp_pann_plan_run(net, &pw, a->budget_bits, P, &po, &pl, &e)) goto fail;
  int best_bx = pl.a_bits;
  double bestR = pl.R;
  double acc;
  pp_pann_energy en;
  pp_cli_pann_phase("test accuracy on %d images and energy on %d", nt, a->energy_images < nt ? a->energy_images : nt);
  if (pp_pann_net_eval(net, &L.test, 0, nt, &acc, NULL, &e) ||
      pp_pann_net_energy(net, &pw, a->accum, &L.test, 0, a->energy_images < nt ? a->energy_images : nt, &en, &e))
    goto fail;
  double ref = 0;
  {
    double tm = 0;
    for (int i = 0; i < pl.nl; i++) {
      pp_pann_layer_info li;
      pp_pann_net_layer(net, i, &li);
      ref += li.macs * pl.layer_R[i] * pp_pann_ref_add_energy(&pw, best_bx, pl.layer_R[i], 64, (uint64_t)a->seed);
      tm += li.macs;
    }
    ref /= tm;
  }
  fprintf(pp_cli_pann_out, "PANN at %.3f fJ per MAC (%.3f uW at %.0f MHz; matched on %s: target %.3f, achieved %.3f fJ per MAC):\n"
         "  %d-bit activations, R = %.3f additions per input (MAC-weighted; uniform would be %.3f), %s allocation\n",
         P, P * a->clock_mhz * 1e-3, a->clock_mhz, po.match == PP_PANN_MATCH_TRACE ? "the b-bit network's trace" : "reference streams",
         pl.target_fj, pl.achieved_fj, best_bx, bestR, pl.R_uniform, po.alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
  fprintf(pp_cli_pann_out, "  validation %.2f%% (uniform R %.2f%%), test accuracy %.2f%% (%d images); energy on its own test products %.3f fJ per MAC (reference %.3f)\n",
         pl.val_acc, pl.val_acc_uniform, acc, nt, en.e_per_mac, ref);
  for (int i = 0; i < pp_pann_net_nlayers(net); i++) {
    pp_pann_layer_info li;
    pp_pann_net_layer(net, i, &li);
    fprintf(pp_cli_pann_out, "  %-24s %4d x %-5d R %.3f mean|q| %.3f  max|q| %3d  g %.4g  sx %.4g\n", li.name, li.M, li.K, pl.layer_R[i], li.r,
           li.max_abs_q, li.g, li.sx);
  }
  FILE *outs[2] = {NULL, NULL};
  pp_outfile of;
  if (a->out) {
    if (pp_outfile_open(&of, a->out, &e)) goto fail;
    outs[0] = of.f;
  }
  if (a->json) outs[1] = stdout;
  pp_cli_pann_phase("done");
  fflush(stdout);
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    pp_json j;
    pp_json_init(&j, outs[k], k == 0);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-pann-quantize/1");
    pp_json_key_str(&j, "model_file", a->model);
    pp_json_key_num(&j, "budget_fj_per_mac", P);
    pp_json_key(&j, "budget_bits");
    if (a->budget_bits) pp_json_int(&j, a->budget_bits);
    else pp_json_null(&j);
    pp_json_key_num(&j, "budget_uw", P * a->clock_mhz * 1e-3);
    pp_json_key_num(&j, "clock_mhz", a->clock_mhz);
    pp_json_key_int(&j, "act_bits", best_bx);
    pp_json_key_num(&j, "R", bestR);
    pp_json_key_bool(&j, "bias_correction", a->bias_corr);
    pp_json_key_bool(&j, "lsq_scales", a->lsq);
    pp_json_key_str(&j, "alloc", a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
    pp_json_key_str(&j, "match", a->match == PP_PANN_MATCH_TRACE ? "trace" : "ref");
    pp_json_key_num(&j, "target_fj_per_mac", pl.target_fj);
    pp_json_key_num(&j, "achieved_fj_per_mac", pl.achieved_fj);
    pp_json_key_num(&j, "val_accuracy_pct", pl.val_acc);
    pp_json_key_num(&j, "val_accuracy_uniform_R_pct", pl.val_acc_uniform);
    pp_json_key_num(&j, "test_accuracy_pct", acc);
    pp_json_key_int(&j, "test_images", nt);
    pp_json_key_num(&j, "energy_fj_per_mac", en.e_per_mac);
    pp_json_key_num(&j, "ref_energy_fj_per_mac", ref);
    pp_json_key_arr_begin(&j, "layers");
    for (int i = 0; i < pp_pann_net_nlayers(net); i++) {
      pp_pann_layer_info li;
      pp_pann_net_layer(net, i, &li);
      pp_json_obj_begin(&j);
      pp_json_key_str(&j, "name", li.name);
      pp_json_key_int(&j, "M", li.M);
      pp_json_key_int(&j, "K", li.K);
      pp_json_key_num(&j, "R", pl.layer_R[i]);
      pp_json_key_num(&j, "mean_abs_q", li.r);
      pp_json_key_int(&j, "max_abs_q", li.max_abs_q);
      pp_json_key_num(&j, "weight_scale", li.g);
      pp_json_key_num(&j, "act_scale", li.sx);
      pp_json_obj_end(&j);
    }
    pp_json_arr_end(&j);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  if (a->out && pp_outfile_commit(&of, &e)) goto fail;
  pp_pann_net_free(net);
  pp_cli_pann_unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_pann_net_free(net);
  pp_cli_pann_unload(&L);
  return rc;
}
