/* cli/cmd_pann_qat: `powerprune pann qat`, PANN during training: straight-through
 * fine-tuning at the R a budget gives */
#include "pann_cli.h"
#include "pp/flow.h"

static void qat_progress(long step, double loss, double acc, void *ctx) {
  (void)ctx;
  fprintf(stderr, "powerprune pann qat: step %ld: loss %.4f, batch accuracy %.2f%% (quantized network)\n", step, loss, acc);
}

static void probe_start(int bits, double R, long steps, void *ctx) {
  (void)ctx;
  fprintf(stderr, "powerprune pann qat: probe of %d-bit activations (R %.3f before training), %ld steps\n", bits, R,
          steps);
}

/* The power file's content hash (the flow's FNV-1a): which fitted models a result came from. */
static int file_fnv(const char *path, char *out, size_t n, pp_err *e) {
  char *text = NULL;
  size_t len = 0;
  int st = pp_read_file(path, &text, &len, e);
  if (st) return st;
  uint64_t h = pp_flow_hash(PP_FLOW_HASH_INIT, text, len);
  free(text);
  snprintf(out, n, "fnv1a64:%016llx", (unsigned long long)h);
  return PP_OK;
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
  char power_id[32] = "";
  if (pp_cli_pann_load(a, &L, &e) || pp_cli_pann_power(a, &pw, &cl, &fitted, &e)) goto fail;
  if (a->power && file_fnv(a->power, power_id, sizeof power_id, &e)) goto fail;
  if (a->calib + a->val > L.train.n) {
    pp_err_set(&e, PP_EINVAL, "", 0, "--calib + --val (%d) exceed the %d training images", a->calib + a->val, L.train.n);
    goto fail;
  }
  pp_pann_deploy_opts o;
  pp_pann_deploy_defaults(&o);
  o.budget_bits = a->budget_bits;
  pp_cli_pann_plan_opts(a, &L, &o.plan);
  o.qat.act_bits = a->float_acts ? 0 : -1; /* -1: the plan's width */
  o.qat.lsq = a->lsq;
  o.qat.steps = a->steps;
  o.qat.lr = a->lr;
  o.qat.calib_images = a->calib;
  o.qat.seed = (uint64_t)a->seed;
  o.qat.progress = qat_progress;
  o.qat.probe_start = probe_start;
  o.probe_steps = !strcmp(a->act_bits, "auto") ? a->probe_steps : 0;
  o.test = &L.test;
  o.test_first = 0;
  o.test_count = a->test > 0 && a->test < L.test.n ? a->test : L.test.n;
  o.energy_images = a->energy_images;
  if (o.probe_steps > 0 && !a->float_acts && a->R_fixed <= 0)
    fprintf(stderr, "powerprune pann qat: probing activation widths %d..%d, %d steps each\n", o.plan.bx_min,
            o.plan.bx_max, a->probe_steps);
  pp_pann_deploy d;
  if (pp_pann_deploy_run(L.m, &L.train, &pw, &o, &d, &e) || pp_nn_model_save(L.m, a->save, &e)) goto fail;
  const pp_pann_probe *pr = &d.probe;
  for (int k = 0; d.probed && k < pr->n; k++)
    fprintf(pp_cli_pann_out, "probe: %d-bit activations, R %.3f: validation %.2f%% untrained, %.2f%% after %ld steps%s\n",
            pr->bits[k], pr->R[k], pr->post_val_acc[k], pr->probe_val_acc[k], pr->steps,
            k == pr->chosen ? " (chosen)" : "");
  const pp_pann_plan *p0 = &d.before, *p1 = &d.after;
  fprintf(pp_cli_pann_out,
          "before: %d-bit activations, R %.3f (%s-matched, %s allocation): test %.2f%%, trace %.3f fJ/MAC (target "
          "%.3f)\n",
          p0->a_bits, p0->R, a->match == PP_PANN_MATCH_TRACE ? "trace" : "reference",
          a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform", d.test_acc_before, d.test_fj_before, p0->target_fj);
  fprintf(pp_cli_pann_out,
          "after %d steps (%s activations in training): %d-bit activations, R %.3f: test %.2f%% (float %.2f%%), "
          "trace %.3f fJ/MAC on the trace images (target %.3f), %.3f on the test images; saved %s\n",
          a->steps, d.act_bits_trained ? "quantized" : "float", p1->a_bits, p1->R, d.test_acc_after, d.float_test_acc,
          p1->achieved_fj, p1->target_fj, d.test_fj_after, a->save);
  if (a->json) {
    fflush(stdout);
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-pann-qat/1");
    pp_json_key_str(&j, "model_file", a->model);
    pp_json_key_str(&j, "saved", a->save);
    pp_json_key_int(&j, "budget_bits", a->budget_bits);
    pp_json_key_str(&j, "match", a->match == PP_PANN_MATCH_TRACE ? "trace" : "ref");
    pp_json_key_str(&j, "alloc", a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
    pp_json_key_int(&j, "steps", a->steps);
    pp_json_key_num(&j, "lr", a->lr);
    pp_json_key_int(&j, "train_act_bits", d.act_bits_trained);
    pp_json_key_int(&j, "seed", a->seed);
    pp_json_key(&j, "power_file");
    if (a->power) pp_json_str(&j, a->power);
    else pp_json_null(&j);
    pp_json_key(&j, "power_file_id"); /* the bytes the models came from */
    if (a->power) pp_json_str(&j, power_id);
    else pp_json_null(&j);
    pp_json_key(&j, "power_fit"); /* fitted now: what the fit was given */
    if (a->power) pp_json_null(&j);
    else {
      pp_json_obj_begin(&j);
      pp_json_key_str(&j, "lib", a->lib ? a->lib : "builtin");
      pp_json_key_str(&j, "mult", a->mult == PP_MULT_BOOTH ? "booth" : "array");
      pp_json_key_str(&j, "adder", a->adder == PP_ADDER_PREFIX ? "prefix" : "ripple");
      pp_json_key_int(&j, "samples", a->samples);
      pp_json_key_int(&j, "acc_bits", a->acc_bits);
      pp_json_obj_end(&j);
    }
    pp_json_key_int(&j, "calib_images", a->calib);
    pp_json_key_int(&j, "val_images", a->val);
    pp_json_key_str(&j, "width_choice", d.probed ? "qat-probe" : strcmp(a->act_bits, "auto") ? "fixed" : "post-training");
    pp_json_key(&j, "probe");
    if (d.probed) {
      pp_json_obj_begin(&j);
      pp_json_key_int(&j, "steps", pr->steps);
      pp_json_key_arr_begin(&j, "candidates");
      for (int k = 0; k < pr->n; k++) {
        pp_json_obj_begin(&j);
        pp_json_key_int(&j, "act_bits", pr->bits[k]);
        pp_json_key_num(&j, "R", pr->R[k]);
        pp_json_key_num(&j, "untrained_val_acc_pct", pr->post_val_acc[k]);
        pp_json_key_num(&j, "probe_val_acc_pct", pr->probe_val_acc[k]);
        pp_json_key_num(&j, "probe_val_loss", pr->probe_val_loss[k]);
        pp_json_key_bool(&j, "chosen", k == pr->chosen);
        pp_json_obj_end(&j);
      }
      pp_json_arr_end(&j);
      pp_json_obj_end(&j);
    } else
      pp_json_null(&j);
    pp_json_key_int(&j, "test_images", o.test_count);
    pp_json_key_num(&j, "float_test_acc_pct", d.float_test_acc); /* the model given, on the same test images */
    for (int k = 0; k < 2; k++) {
      const pp_pann_plan *p = k ? p1 : p0;
      pp_json_key(&j, k ? "after" : "before");
      pp_json_obj_begin(&j);
      pp_json_key_int(&j, "act_bits", p->a_bits);
      pp_json_key_num(&j, "R", p->R);
      pp_json_key_num(&j, "target_fj_per_mac", p->target_fj);
      pp_json_key_num(&j, "trace_images_fj_per_mac", p->achieved_fj);
      pp_json_key_arr_begin(&j, "layer_R");
      for (int l = 0; l < p->nl; l++) pp_json_num(&j, p->layer_R[l]);
      pp_json_arr_end(&j);
      pp_json_key_num(&j, "trace_fj_per_mac", k ? d.test_fj_after : d.test_fj_before);
      pp_json_key_num(&j, "test_acc_pct", k ? d.test_acc_after : d.test_acc_before);
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
