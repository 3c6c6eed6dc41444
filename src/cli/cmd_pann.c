/* cli/cmd_pann: `powerprune pann fit|quantize|compare|accum`: the bit-flip
 * power models fitted to the gate-level simulator, PANN quantization of a
 * trained model at a power budget, and the equal-power comparison with plain
 * b-bit quantization (and the int8 / PowerPruning networks of module nn). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pp/netlist.h"
#include "pp/nn.h"
#include "pp/pann.h"
#include "pp/plot.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: powerprune pann fit [options]\n"
          "       powerprune pann quantize --model-file F (--budget-bits B | --budget-fj E | --budget-uw P) [options]\n"
          "       powerprune pann compare --model-file F [--out DIR] [options]\n"
          "       powerprune pann accum --model-file F [options]\n"
          "       powerprune pann qat --model-file F --budget-bits B --act-bits N --save F2 [options]\n"
          "\n"
          "fit       generates the MAC parts (multiplier, accumulator adder, PANN adder) at widths\n"
          "          2..8, simulates mixed input streams with the timed gate-level engine and fits\n"
          "          the bit-flip energy models by least squares; prints the fit error per width\n"
          "          and, last, one JSON object with the models (--json).\n"
          "quantize  PANN-quantizes a trained float model (post-training, no retraining) so that\n"
          "          its mean additions per input R spend the budget; reports accuracy and energy.\n"
          "compare   accuracy vs power: plain b-bit quantization (2..8 bits) against PANN at the\n"
          "          power of every b-bit MAC, the float and int8 networks (and --pp-model);\n"
          "          writes DIR/pann_compare.json, .csv and the plot pann_accuracy_power.svg/.png.\n"
          "accum     signed vs split (w = w+ - w-, unsigned) accumulation on the int8 network's real\n"
          "          accumulator streams, simulated at gate level on the 8-bit MAC's adder.\n"
          "qat       PANN during training: straight-through fine-tuning at the R the budget gives\n"
          "          for N-bit activations; saves the float model (re-quantize it at any budget).\n"
          "\n"
          "common options:\n"
          "  --power F.json      fitted models from 'pann fit --out' (default: fit now, --samples)\n"
          "  --lib F             cell library (default: the project's)\n"
          "  --samples N         transitions per part when fitting (default 3000; 600 when fitting\n"
          "                      on the fly for quantize/compare)\n"
          "  --acc-bits B        accumulator width (default 22)\n"
          "  --mult array|booth  --adder ripple|prefix   MAC architecture (default array, ripple)\n"
          "  --seed S            (default 1)\n"
          "  --json              print the result as one JSON object, last, on stdout\n"
          "  --out F|DIR         fit/quantize: JSON file; compare: output folder\n"
          "model options:\n"
          "  --model-file F      trained model (powerprune train); --data NAME (fashion-mnist),\n"
          "  --data-dir D        --calib N (1000)  --val N (2000)  --test N (all)  --energy-images N (10)\n"
          "  --accum signed|split  accumulation of the b-bit baseline MAC (default split)\n"
          "  --no-bias-corr      no bias correction\n"
          "quantize: --act-bits N|auto (auto: best on validation), --clock-mhz F (1000) for --budget-uw\n"
          "compare:  --pp-model F  a PowerPruning-restricted model to place on the same axes\n"
          "accum:    --images N (2)  --transitions N (4000 per stream)\n"
          "qat:      --steps N (2000)  --lr X (1e-4)  --save F2 (required)\n"
          "          --probe-steps N (300): with --act-bits auto, every width of --pann-act-bits is\n"
          "          planned and fine-tuned for N steps; the best on validation images wins\n"
          "          (0: choose by post-training validation accuracy, as quantize does)\n");
}

typedef struct args {
  const char *sub, *power, *lib, *out, *model, *data, *data_dir, *pp_model, *act_bits, *save;
  long steps, probe_steps;
  double lr;
  int json, samples, samples_set, acc_bits, mult, adder, calib, val, test, energy_images, accum, bias_corr;
  int budget_bits, images, transitions;
  int lsq, alloc, match, trace_images, alloc_evals, float_acts, bx_min, bx_max;
  double R_fixed;
  double budget_fj, budget_uw, clock_mhz;
  long seed;
} args;

static int parse(int argc, char **argv, args *a) {
  memset(a, 0, sizeof *a);
  a->samples = 3000;
  a->acc_bits = 22;
  a->calib = 1000;
  a->val = 2000;
  a->energy_images = 10;
  a->accum = PP_PANN_SPLIT;
  a->bias_corr = 1;
  a->seed = 1;
  a->data = "fashion-mnist";
  a->clock_mhz = 1000;
  a->budget_fj = a->budget_uw = NAN;
  a->act_bits = "auto";
  a->images = 2;
  a->transitions = 4000;
  a->steps = 2000;
  a->probe_steps = 300;
  a->lr = 1e-4;
  a->lsq = 1;
  a->alloc = PP_PANN_ALLOC_GREEDY;
  a->match = PP_PANN_MATCH_TRACE;
  a->trace_images = 10;
  a->alloc_evals = 120;
  a->bx_min = 2;
  a->bx_max = 8;
  if (argc < 2) return pp_cli_usage("pann", "missing the action: fit, quantize, compare or accum");
  a->sub = argv[1];
  if (!strcmp(a->sub, "-h") || !strcmp(a->sub, "--help")) return -1;
  if (strcmp(a->sub, "fit") && strcmp(a->sub, "quantize") && strcmp(a->sub, "compare") && strcmp(a->sub, "accum") &&
      strcmp(a->sub, "qat"))
    return pp_cli_usage("pann", "unknown action '%s': expected fit, quantize, compare, accum or qat", a->sub);
  for (int i = 2; i < argc; i++) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    long l;
    double d;
#define NEEDV() \
  if (!v) return pp_cli_usage("pann", "option %s needs a value", o); \
  i++
#define LONG(lo, hi, dst)                                                                              \
  NEEDV();                                                                                             \
  if (pp_cli_parse_long(v, lo, hi, &l)) return pp_cli_usage("pann", "%s expects an integer in %ld..%ld, got '%s'", o, (long)(lo), (long)(hi), v); \
  dst = (int)l
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) return -1;
    else if (!strcmp(o, "--json")) a->json = 1;
    else if (!strcmp(o, "--no-bias-corr")) a->bias_corr = 0;
    else if (!strcmp(o, "--no-lsq")) a->lsq = 0;
    else if (!strcmp(o, "--float-acts")) a->float_acts = 1;
    else if (!strcmp(o, "--alloc")) {
      NEEDV();
      if (!strcmp(v, "uniform")) a->alloc = PP_PANN_ALLOC_UNIFORM;
      else if (!strcmp(v, "greedy")) a->alloc = PP_PANN_ALLOC_GREEDY;
      else return pp_cli_usage("pann", "--alloc expects uniform or greedy, got '%s'", v);
    } else if (!strcmp(o, "--match")) {
      NEEDV();
      if (!strcmp(v, "ref")) a->match = PP_PANN_MATCH_REF;
      else if (!strcmp(v, "trace")) a->match = PP_PANN_MATCH_TRACE;
      else if (!strcmp(v, "both")) a->match = PP_PANN_MATCH_BOTH;
      else return pp_cli_usage("pann", "--match expects ref, trace or both, got '%s'", v);
    } else if (!strcmp(o, "--pann-act-bits")) {
      NEEDV();
      char *end;
      long x = strtol(v, &end, 10), y = x;
      if (*end == '-') y = strtol(end + 1, &end, 10);
      if (*end || x < 2 || y > 8 || x > y) return pp_cli_usage("pann", "--pann-act-bits expects N or N-M within 2..8, got '%s'", v);
      a->bx_min = (int)x, a->bx_max = (int)y;
    } else if (!strcmp(o, "--R")) { NEEDV(); if (pp_cli_parse_double(v, &a->R_fixed) || !(a->R_fixed > 0)) return pp_cli_usage("pann", "--R expects a positive number, got '%s'", v); }
    else if (!strcmp(o, "--trace-images")) { LONG(1, 100000, a->trace_images); }
    else if (!strcmp(o, "--alloc-evals")) { LONG(1, 100000, a->alloc_evals); }
    else if (!strcmp(o, "--power")) { NEEDV(); a->power = v; }
    else if (!strcmp(o, "--lib")) { NEEDV(); a->lib = v; }
    else if (!strcmp(o, "--out")) { NEEDV(); a->out = v; }
    else if (!strcmp(o, "--model-file")) { NEEDV(); a->model = v; }
    else if (!strcmp(o, "--data")) { NEEDV(); a->data = v; }
    else if (!strcmp(o, "--data-dir")) { NEEDV(); a->data_dir = v; }
    else if (!strcmp(o, "--pp-model")) { NEEDV(); a->pp_model = v; }
    else if (!strcmp(o, "--save")) { NEEDV(); a->save = v; }
    else if (!strcmp(o, "--steps")) { NEEDV(); if (pp_cli_parse_long(v, 1, 100000000L, &a->steps)) return pp_cli_usage("pann", "--steps expects a positive integer, got '%s'", v); }
    else if (!strcmp(o, "--probe-steps")) { NEEDV(); if (pp_cli_parse_long(v, 0, 100000000L, &a->probe_steps)) return pp_cli_usage("pann", "--probe-steps expects an integer >= 0, got '%s'", v); }
    else if (!strcmp(o, "--lr")) { NEEDV(); if (pp_cli_parse_double(v, &a->lr) || !(a->lr > 0)) return pp_cli_usage("pann", "--lr expects a positive number, got '%s'", v); }
    else if (!strcmp(o, "--act-bits")) {
      NEEDV();
      a->act_bits = v;
      if (strcmp(v, "auto") && (pp_cli_parse_long(v, 2, 8, &l)))
        return pp_cli_usage("pann", "--act-bits expects 2..8 or auto, got '%s'", v);
    } else if (!strcmp(o, "--samples")) { LONG(50, 10000000, a->samples); a->samples_set = 1; }
    else if (!strcmp(o, "--acc-bits")) { LONG(17, 40, a->acc_bits); }
    else if (!strcmp(o, "--calib")) { LONG(1, 1000000, a->calib); }
    else if (!strcmp(o, "--val")) { LONG(1, 1000000, a->val); }
    else if (!strcmp(o, "--test")) { LONG(1, 1000000, a->test); }
    else if (!strcmp(o, "--energy-images")) { LONG(1, 100000, a->energy_images); }
    else if (!strcmp(o, "--budget-bits")) { LONG(2, 8, a->budget_bits); }
    else if (!strcmp(o, "--images")) { LONG(1, 100000, a->images); }
    else if (!strcmp(o, "--transitions")) { LONG(10, 10000000, a->transitions); }
    else if (!strcmp(o, "--seed")) { NEEDV(); if (pp_cli_parse_long(v, 0, 0x7fffffffL, &a->seed)) return pp_cli_usage("pann", "--seed expects a non-negative integer, got '%s'", v); }
    else if (!strcmp(o, "--budget-fj") || !strcmp(o, "--budget-uw") || !strcmp(o, "--clock-mhz")) {
      NEEDV();
      if (pp_cli_parse_double(v, &d) || !(d > 0) || !isfinite(d)) return pp_cli_usage("pann", "%s expects a positive number, got '%s'", o, v);
      if (o[2] == 'c') a->clock_mhz = d;
      else if (o[9] == 'f') a->budget_fj = d;
      else a->budget_uw = d;
    } else if (!strcmp(o, "--mult")) {
      NEEDV();
      if (!strcmp(v, "array")) a->mult = PP_MULT_ARRAY;
      else if (!strcmp(v, "booth")) a->mult = PP_MULT_BOOTH;
      else return pp_cli_usage("pann", "--mult expects array or booth, got '%s'", v);
    } else if (!strcmp(o, "--adder")) {
      NEEDV();
      if (!strcmp(v, "ripple")) a->adder = PP_ADDER_RIPPLE;
      else if (!strcmp(v, "prefix")) a->adder = PP_ADDER_PREFIX;
      else return pp_cli_usage("pann", "--adder expects ripple or prefix, got '%s'", v);
    } else if (!strcmp(o, "--accum")) {
      NEEDV();
      if (!strcmp(v, "signed")) a->accum = PP_PANN_SIGNED;
      else if (!strcmp(v, "split")) a->accum = PP_PANN_SPLIT;
      else return pp_cli_usage("pann", "--accum expects signed or split, got '%s'", v);
    } else return pp_cli_usage("pann", "unknown option '%s'", o);
#undef LONG
#undef NEEDV
  }
  return 0;
}

static void print_stats_row(const char *what, int b, const pp_pann_fit_stats *f, const pp_pann_fit_stats *c) {
  printf("  %-5s %d   R2 %.4f  mean rel err %5.1f%%  rmse %7.3f fJ  mean %8.3f fJ | held-out R2 %.4f  err %5.1f%%\n", what,
         b, f->r2, 100 * f->mean_rel_err, f->rmse, f->mean_meas, c->r2, 100 * c->mean_rel_err);
}

/* Fits (or loads) the models. */
static int get_power(const args *a, pp_pann_power *pw, pp_pann_claims *cl, int *fitted, pp_err *e) {
  *fitted = 0;
  if (a->power) return pp_pann_power_load(a->power, pw, e);
  pp_lib *lib;
  int st = pp_lib_read(a->lib ? a->lib : pp_lib_default_path(), &lib, e);
  if (st) return st;
  pp_pann_fit_opts fo;
  pp_pann_fit_defaults(&fo);
  fo.samples = (!strcmp(a->sub, "fit") || a->samples_set) ? a->samples : 600;
  fo.acc_bits = a->acc_bits;
  fo.mult_arch = a->mult;
  fo.adder_arch = a->adder;
  fo.seed = (uint64_t)a->seed;
  if (isatty(2)) fprintf(stderr, "powerprune pann: fitting the power models (%d transitions per part)...\n", fo.samples);
  st = pp_pann_fit(lib, &fo, pw, cl, e);
  pp_lib_free(lib);
  if (!st) *fitted = 1;
  return st;
}

static int cmd_fit(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted;
  if (get_power(a, &pw, &cl, &fitted, &e)) return pp_cli_fail("pann", &e);
  printf("bit-flip power models (fit on 4/5 of the samples, held-out check on 1/5); energies in fJ\n");
  for (int b = 2; b <= 8; b++) {
    if (!pw.have[b - 2]) continue;
    const pp_pann_mult_model *m = &pw.mult[b - 2];
    printf(" %d bits: mult E = %.3f + %.3f fw + %.3f fa + %.4f fw*fa + %.3f fpp + %.3f fprod\n", b, m->c[0], m->c[1],
           m->c[2], m->c[3], m->c[4], m->c[5]);
    print_stats_row("mult", b, &m->fit, &m->check);
    const pp_pann_acc_model *ac = &pw.acc[b - 2], *ad = &pw.add[b - 2];
    printf("         acc(%d->%d) E = %.3f + %.3f fx + %.3f fp + %.3f fy + %.3f fc\n", ac->in_bits, ac->acc_bits, ac->c[0],
           ac->c[1], ac->c[2], ac->c[3], ac->c[4]);
    print_stats_row("acc", b, &ac->fit, &ac->check);
    printf("         add(%d->%d) E = %.3f + %.3f fx + %.3f fp + %.3f fy + %.3f fc\n", ad->in_bits, ad->acc_bits, ad->c[0],
           ad->c[1], ad->c[2], ad->c[3], ad->c[4]);
    print_stats_row("add", b, &ad->fit, &ad->check);
  }
  if (fitted) {
    printf("claims:\n");
    printf("  multiplier energy (random operands) vs width: exponent %.2f (2 = quadratic):", cl.mult_exponent);
    for (int b = 2; b <= 8; b++)
      if (pw.have[b - 2]) printf(" %d:%.1f", b, cl.mult_random_fj[b - 2]);
    printf(" fJ\n  width-independent mult model E = %.3f + %.4f (fa*bw + fw*ba): R2 %.4f, mean rel err %.1f%%\n",
           cl.global.k0, cl.global.k1, cl.global.fit.r2, 100 * cl.global.fit.mean_rel_err);
    printf("  accumulation per MAC, random dot products: signed vs split (unsigned):");
    for (int b = 2; b <= 8; b++)
      if (pw.have[b - 2]) printf(" %d:%.1f/%.1f", b, cl.acc_signed_fj[b - 2], cl.acc_split_fj[b - 2]);
    printf(" fJ\n  PANN addition of a b-bit input vs b: exponent %.2f (1 = linear):", cl.add_exponent);
    for (int b = 2; b <= 8; b++)
      if (pw.have[b - 2]) printf(" %d:%.1f", b, cl.add_random_fj[b - 2]);
    printf(" fJ\n");
  }
  if (a->out) {
    pp_outfile of;
    if (pp_outfile_open(&of, a->out, &e)) return pp_cli_fail("pann", &e);
    pp_json j;
    pp_json_init(&j, of.f, 1);
    pp_pann_power_json(&j, &pw, fitted ? &cl : NULL);
    pp_json_end(&j);
    if (pp_outfile_commit(&of, &e)) return pp_cli_fail("pann", &e);
  }
  if (a->json) {
    fflush(stdout);
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_pann_power_json(&j, &pw, fitted ? &cl : NULL);
    pp_json_end(&j);
  }
  return PP_EXIT_OK;
}

typedef struct loaded {
  pp_nn_model *m;
  pp_nn_data train, test;
} loaded;

static int load_model(const args *a, loaded *L, pp_err *e) {
  memset(L, 0, sizeof *L);
  if (!a->model) return pp_err_set(e, PP_EINVAL, "", 0, "--model-file is required");
  int st = pp_nn_model_load(a->model, &L->m, e);
  if (!st) st = pp_nn_data_load(a->data, a->data_dir, &L->train, &L->test, e);
  return st;
}
static void unload(loaded *L) {
  pp_nn_model_free(L->m);
  pp_nn_data_free(&L->train);
  pp_nn_data_free(&L->test);
}

/* The planner's options from the command line: validation images follow the
 * calibration images in the training set, trace images are its first ones. */
static void plan_opts(const args *a, const loaded *L, pp_pann_plan_opts *po) {
  pp_pann_plan_defaults(po);
  po->alloc = a->alloc;
  po->match = a->match == PP_PANN_MATCH_TRACE ? PP_PANN_MATCH_TRACE : PP_PANN_MATCH_REF;
  po->lsq = a->lsq;
  po->bias_corr = a->bias_corr;
  po->accum = a->accum;
  po->val = &L->train;
  po->val_first = a->calib;
  po->val_count = a->val;
  po->trace = &L->train;
  po->trace_first = 0;
  po->trace_count = a->trace_images < L->train.n ? a->trace_images : L->train.n;
  po->alloc_max_evals = a->alloc_evals;
  po->bx_min = a->bx_min;
  po->bx_max = a->bx_max;
  if (strcmp(a->act_bits, "auto")) po->bx_min = po->bx_max = atoi(a->act_bits);
  po->seed = (uint64_t)a->seed;
  po->fixed_R = a->R_fixed;
}

static int cmd_quantize(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  int nb = (a->budget_bits > 0) + !isnan(a->budget_fj) + !isnan(a->budget_uw);
  if (nb != 1) return pp_cli_usage("pann", "quantize needs exactly one of --budget-bits, --budget-fj, --budget-uw");
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted;
  loaded L;
  int rc = PP_EXIT_OK;
  if (load_model(a, &L, &e) || get_power(a, &pw, &cl, &fitted, &e)) {
    rc = pp_cli_fail("pann", &e);
    unload(&L);
    return rc;
  }
  for (int b = 2; b <= 8; b++)
    if (!pw.have[b - 2]) {
      pp_err_set(&e, PP_EINVAL, a->power ? a->power : "", 0, "the power model lacks width %d", b);
      unload(&L);
      return pp_cli_fail("pann", &e);
    }
  double P = a->budget_bits ? pp_pann_ref_mac_energy(&pw, a->budget_bits, a->accum, 64, (uint64_t)a->seed)
             : !isnan(a->budget_fj) ? a->budget_fj
                                    : a->budget_uw / (a->clock_mhz * 1e-3); /* fJ/op * MHz * 1e-3 = uW */
  if (a->calib + a->val > L.train.n) {
    pp_err_set(&e, PP_EINVAL, "", 0, "--calib + --val (%d) exceed the %d training images", a->calib + a->val, L.train.n);
    unload(&L);
    return pp_cli_fail("pann", &e);
  }
  int nt = a->test > 0 && a->test < L.test.n ? a->test : L.test.n;
  pp_pann_net *net = NULL;
  if (pp_pann_net_create(L.m, &L.train, 0, a->calib, &net, &e)) goto fail;
  pp_pann_plan_opts po;
  plan_opts(a, &L, &po);
  if (po.match == PP_PANN_MATCH_TRACE && !a->budget_bits) {
    pp_err_set(&e, PP_EINVAL, "", 0, "--match trace needs --budget-bits (the b-bit network whose trace energy is matched)");
    goto fail;
  }
  pp_pann_plan pl;
  if (pp_pann_plan_run(net, &pw, a->budget_bits, P, &po, &pl, &e)) goto fail;
  int best_bx = pl.a_bits;
  double bestR = pl.R;
  double acc;
  pp_pann_energy en;
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
  printf("PANN at %.3f fJ per MAC (%.3f uW at %.0f MHz; matched on %s: target %.3f, achieved %.3f fJ per MAC):\n"
         "  %d-bit activations, R = %.3f additions per input (MAC-weighted; uniform would be %.3f), %s allocation\n",
         P, P * a->clock_mhz * 1e-3, a->clock_mhz, po.match == PP_PANN_MATCH_TRACE ? "the b-bit network's trace" : "reference streams",
         pl.target_fj, pl.achieved_fj, best_bx, bestR, pl.R_uniform, po.alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
  printf("  validation %.2f%% (uniform R %.2f%%), test accuracy %.2f%% (%d images); energy on its own test products %.3f fJ per MAC (reference %.3f)\n",
         pl.val_acc, pl.val_acc_uniform, acc, nt, en.e_per_mac, ref);
  for (int i = 0; i < pp_pann_net_nlayers(net); i++) {
    pp_pann_layer_info li;
    pp_pann_net_layer(net, i, &li);
    printf("  %-24s %4d x %-5d R %.3f mean|q| %.3f  max|q| %3d  g %.4g  sx %.4g\n", li.name, li.M, li.K, pl.layer_R[i], li.r,
           li.max_abs_q, li.g, li.sx);
  }
  FILE *outs[2] = {NULL, NULL};
  pp_outfile of;
  if (a->out) {
    if (pp_outfile_open(&of, a->out, &e)) goto fail;
    outs[0] = of.f;
  }
  if (a->json) outs[1] = stdout;
  fflush(stdout);
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    pp_json j;
    pp_json_init(&j, outs[k], k == 0);
    pp_json_obj_begin(&j);
    pp_json_key(&j, "format");
    pp_json_str(&j, "powerprune-pann-quantize/1");
    pp_json_key(&j, "model_file");
    pp_json_str(&j, a->model);
    pp_json_key(&j, "budget_fj_per_mac");
    pp_json_num(&j, P);
    pp_json_key(&j, "budget_bits");
    if (a->budget_bits) pp_json_int(&j, a->budget_bits);
    else pp_json_null(&j);
    pp_json_key(&j, "budget_uw");
    pp_json_num(&j, P * a->clock_mhz * 1e-3);
    pp_json_key(&j, "clock_mhz");
    pp_json_num(&j, a->clock_mhz);
    pp_json_key(&j, "act_bits");
    pp_json_int(&j, best_bx);
    pp_json_key(&j, "R");
    pp_json_num(&j, bestR);
    pp_json_key(&j, "bias_correction");
    pp_json_bool(&j, a->bias_corr);
    pp_json_key(&j, "lsq_scales");
    pp_json_bool(&j, a->lsq);
    pp_json_key(&j, "alloc");
    pp_json_str(&j, a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
    pp_json_key(&j, "match");
    pp_json_str(&j, a->match == PP_PANN_MATCH_TRACE ? "trace" : "ref");
    pp_json_key(&j, "target_fj_per_mac");
    pp_json_num(&j, pl.target_fj);
    pp_json_key(&j, "achieved_fj_per_mac");
    pp_json_num(&j, pl.achieved_fj);
    pp_json_key(&j, "val_accuracy_pct");
    pp_json_num(&j, pl.val_acc);
    pp_json_key(&j, "val_accuracy_uniform_R_pct");
    pp_json_num(&j, pl.val_acc_uniform);
    pp_json_key(&j, "test_accuracy_pct");
    pp_json_num(&j, acc);
    pp_json_key(&j, "test_images");
    pp_json_int(&j, nt);
    pp_json_key(&j, "energy_fj_per_mac");
    pp_json_num(&j, en.e_per_mac);
    pp_json_key(&j, "ref_energy_fj_per_mac");
    pp_json_num(&j, ref);
    pp_json_key(&j, "layers");
    pp_json_arr_begin(&j);
    for (int i = 0; i < pp_pann_net_nlayers(net); i++) {
      pp_pann_layer_info li;
      pp_pann_net_layer(net, i, &li);
      pp_json_obj_begin(&j);
      pp_json_key(&j, "name");
      pp_json_str(&j, li.name);
      pp_json_key(&j, "M");
      pp_json_int(&j, li.M);
      pp_json_key(&j, "K");
      pp_json_int(&j, li.K);
      pp_json_key(&j, "R");
      pp_json_num(&j, pl.layer_R[i]);
      pp_json_key(&j, "mean_abs_q");
      pp_json_num(&j, li.r);
      pp_json_key(&j, "max_abs_q");
      pp_json_int(&j, li.max_abs_q);
      pp_json_key(&j, "weight_scale");
      pp_json_num(&j, li.g);
      pp_json_key(&j, "act_scale");
      pp_json_num(&j, li.sx);
      pp_json_obj_end(&j);
    }
    pp_json_arr_end(&j);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  if (a->out && pp_outfile_commit(&of, &e)) goto fail;
  pp_pann_net_free(net);
  unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_pann_net_free(net);
  unload(&L);
  return rc;
}

/* Accuracy and energy of a model through module nn's int8 integer path. */
static int nn_int8_point(pp_nn_model *m, const pp_nn_data *test, int nt, int ne, const pp_pann_power *pw, int accum,
                         double *acc, double *efj, pp_err *e) {
  pp_nn_qmodel *q;
  int st = pp_nn_qmodel_build(m, &q, e);
  if (st) return st;
  int *pred = malloc(sizeof(int) * (size_t)nt);
  if (!pred) {
    pp_nn_qmodel_free(q);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  st = pp_nn_qrun(q, test, 0, nt, NULL, NULL, NULL, pred, NULL, e);
  if (!st) {
    int hits = 0;
    for (int i = 0; i < nt; i++) hits += pred[i] == test->y[i];
    *acc = 100.0 * hits / nt;
    pp_pann_energy en;
    st = pp_pann_qmodel_energy(q, test, 0, ne, pw, accum, &en, e);
    *efj = en.e_per_mac;
  }
  free(pred);
  pp_nn_qmodel_free(q);
  return st;
}

static void point_json(pp_json *j, const pp_pann_point *p) {
  pp_json_obj_begin(j);
  pp_json_key(j, "method");
  pp_json_str(j, p->method);
  pp_json_key(j, "match");
  if (p->match[0]) pp_json_str(j, p->match);
  else pp_json_null(j);
  pp_json_key(j, "greedy_alloc");
  pp_json_bool(j, p->greedy);
  pp_json_key(j, "budget_bits");
  pp_json_int(j, p->budget_bits);
  pp_json_key(j, "target_fj");
  pp_json_num(j, p->target_fj);
  pp_json_key(j, "achieved_fj");
  pp_json_num(j, p->achieved_fj);
  pp_json_key(j, "w_bits");
  if (p->w_bits) pp_json_int(j, p->w_bits);
  else pp_json_null(j);
  pp_json_key(j, "a_bits");
  pp_json_int(j, p->a_bits);
  pp_json_key(j, "R");
  pp_json_num(j, p->R);
  pp_json_key(j, "budget_fj");
  pp_json_num(j, p->budget_fj);
  pp_json_key(j, "ref_fj");
  pp_json_num(j, p->ref_fj);
  pp_json_key(j, "trace_fj");
  pp_json_num(j, p->trace_fj);
  pp_json_key(j, "val_acc_pct");
  pp_json_num(j, p->val_acc);
  pp_json_key(j, "test_acc_pct");
  pp_json_num(j, p->test_acc);
  pp_json_key(j, "chosen");
  pp_json_bool(j, p->chosen);
  pp_json_obj_end(j);
}

static int cmd_compare(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted, rc;
  loaded L;
  pp_nn_model *ppm = NULL;
  pp_pann_compare c = {0};
  if (load_model(a, &L, &e) || get_power(a, &pw, &cl, &fitted, &e)) goto fail;
  if (a->pp_model && pp_nn_model_load(a->pp_model, &ppm, &e)) goto fail;
  pp_pann_compare_opts o;
  pp_pann_compare_defaults(&o);
  o.calib_images = a->calib;
  o.val_images = a->val;
  o.test_images = a->test;
  o.energy_images = a->energy_images;
  o.accum = a->accum;
  o.bias_corr = a->bias_corr;
  o.seed = (uint64_t)a->seed;
  o.lsq = a->lsq;
  o.alloc = a->alloc;
  o.match = a->match;
  o.trace_images = a->trace_images;
  o.pann_bx_min = a->bx_min;
  o.pann_bx_max = a->bx_max;
  o.alloc_max_evals = a->alloc_evals;
  if (pp_pann_compare_run(L.m, &L.train, &L.test, &pw, &o, &c, &e)) goto fail;
  int nt = c.test_images, ne = a->energy_images < nt ? a->energy_images : nt;
  double int8_acc = NAN, int8_fj = NAN, pp_acc = NAN, pp_fj = NAN;
  if (nn_int8_point(L.m, &L.test, nt, ne, &pw, a->accum, &int8_acc, &int8_fj, &e)) goto fail;
  if (ppm && nn_int8_point(ppm, &L.test, nt, ne, &pw, a->accum, &pp_acc, &pp_fj, &e)) goto fail;
  printf("float accuracy %.2f%% (%d test images); int8 (module nn) %.2f%% at %.2f fJ/MAC\n", c.float_acc, nt, int8_acc,
         int8_fj);
  if (ppm) printf("PowerPruning model %.2f%% at %.2f fJ/MAC\n", pp_acc, pp_fj);
  printf("%-8s %-6s %4s %5s %5s %8s %10s %10s %10s %10s %8s %8s\n", "method", "match", "b", "w", "x", "R", "budget_fJ",
         "target_fJ", "ref_fJ", "trace_fJ", "val%", "test%");
  for (int i = 0; i < c.n; i++) {
    const pp_pann_point *p = &c.pts[i];
    if (!p->chosen) continue;
    printf("%-8s %-6s %4d %5d %5d %8.3f %10.2f %10.2f %10.2f %10.2f %8.2f %8.2f\n", p->method, p->match[0] ? p->match : "-",
           p->budget_bits, p->w_bits, p->a_bits, p->R, p->budget_fj, p->target_fj, p->ref_fj, p->trace_fj, p->val_acc,
           p->test_acc);
  }
  const char *dir = a->out ? a->out : "pann-out";
  if (pp_mkdirs(dir, &e)) goto fail;
  char path[4096];
  pp_outfile of;
  /* CSV table of the chosen points */
  snprintf(path, sizeof path, "%s/pann_compare.csv", dir);
  if (pp_outfile_open(&of, path, &e)) goto fail;
  fprintf(of.f, "method,match,budget_bits,w_bits,a_bits,R,budget_fj,target_fj,achieved_fj,ref_fj,trace_fj,val_acc_pct,test_acc_pct\n");
  fprintf(of.f, "float,,,,,,,,,,,,%.4f\n", c.float_acc);
  fprintf(of.f, "int8_nn,,8,8,8,,,,,,%.4f,,%.4f\n", int8_fj, int8_acc);
  if (ppm) fprintf(of.f, "powerpruning,,8,8,8,,,,,,%.4f,,%.4f\n", pp_fj, pp_acc);
  for (int i = 0; i < c.n; i++) {
    const pp_pann_point *p = &c.pts[i];
    if (!p->chosen) continue;
    fprintf(of.f, "%s,%s,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f\n", p->method, p->match, p->budget_bits, p->w_bits,
            p->a_bits, p->R, p->budget_fj, p->target_fj, p->achieved_fj, p->ref_fj, p->trace_fj, p->val_acc, p->test_acc);
  }
  if (pp_outfile_commit(&of, &e)) goto fail;
  /* JSON: everything, candidates included */
  snprintf(path, sizeof path, "%s/pann_compare.json", dir);
  FILE *outs[2] = {NULL, a->json ? stdout : NULL};
  if (pp_outfile_open(&of, path, &e)) goto fail;
  outs[0] = of.f;
  fflush(stdout);
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    pp_json j;
    pp_json_init(&j, outs[k], k == 0);
    pp_json_obj_begin(&j);
    pp_json_key(&j, "format");
    pp_json_str(&j, "powerprune-pann-compare/1");
    pp_json_key(&j, "model_file");
    pp_json_str(&j, a->model);
    pp_json_key(&j, "data");
    pp_json_str(&j, a->data);
    pp_json_key(&j, "power");
    pp_json_str(&j, a->power ? a->power : "fitted in this run");
    pp_json_key(&j, "accum");
    pp_json_str(&j, a->accum == PP_PANN_SPLIT ? "split" : "signed");
    pp_json_key(&j, "bias_correction");
    pp_json_bool(&j, a->bias_corr);
    pp_json_key(&j, "calib_images");
    pp_json_int(&j, a->calib);
    pp_json_key(&j, "val_images");
    pp_json_int(&j, a->val);
    pp_json_key(&j, "test_images");
    pp_json_int(&j, nt);
    pp_json_key(&j, "energy_images");
    pp_json_int(&j, ne);
    pp_json_key(&j, "energy_unit");
    pp_json_str(&j, "fJ per MAC (uW per MAC unit at 1 GHz)");
    pp_json_key(&j, "float_acc_pct");
    pp_json_num(&j, c.float_acc);
    pp_json_key(&j, "int8_nn");
    pp_json_obj_begin(&j);
    pp_json_key(&j, "test_acc_pct");
    pp_json_num(&j, int8_acc);
    pp_json_key(&j, "trace_fj");
    pp_json_num(&j, int8_fj);
    pp_json_obj_end(&j);
    pp_json_key(&j, "powerpruning");
    if (ppm) {
      pp_json_obj_begin(&j);
      pp_json_key(&j, "model_file");
      pp_json_str(&j, a->pp_model);
      pp_json_key(&j, "test_acc_pct");
      pp_json_num(&j, pp_acc);
      pp_json_key(&j, "trace_fj");
      pp_json_num(&j, pp_fj);
      pp_json_obj_end(&j);
    } else {
      pp_json_null(&j);
    }
    pp_json_key(&j, "points");
    pp_json_arr_begin(&j);
    for (int i = 0; i < c.n; i++) point_json(&j, &c.pts[i]);
    pp_json_arr_end(&j);
    /* the goal: PANN at the 2-bit budget against float */
    for (int i = 0; i < c.n; i++)
      if (c.pts[i].chosen && !strcmp(c.pts[i].method, "pann") && c.pts[i].budget_bits == 2) {
        char k[64];
        snprintf(k, sizeof k, "pann_%s_at_2bit_gap_to_float_pts", c.pts[i].match);
        pp_json_key(&j, k);
        pp_json_num(&j, c.float_acc - c.pts[i].test_acc);
      }
    pp_json_key(&j, "lsq_scales");
    pp_json_bool(&j, a->lsq);
    pp_json_key(&j, "alloc");
    pp_json_str(&j, a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
    pp_json_key(&j, "trace_images");
    pp_json_int(&j, a->trace_images);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  if (pp_outfile_commit(&of, &e)) goto fail;
  /* the plot: accuracy vs the energy on each network's own products */
  if (pp_plot_available()) {
    double ux[8], uy[8], px[8], py[8], rx[8], ry[8], ix[1], iy[1], qx[1], qy[1];
    size_t nu = 0, np = 0, nr = 0;
    for (int i = 0; i < c.n; i++) {
      const pp_pann_point *p = &c.pts[i];
      if (!p->chosen) continue;
      if (!strcmp(p->method, "uniform") && nu < 8) ux[nu] = p->trace_fj, uy[nu++] = p->test_acc;
      if (!strcmp(p->method, "pann") && !strcmp(p->match, "trace") && np < 8) px[np] = p->trace_fj, py[np++] = p->test_acc;
      if (!strcmp(p->method, "pann") && !strcmp(p->match, "ref") && nr < 8) rx[nr] = p->trace_fj, ry[nr++] = p->test_acc;
    }
    ix[0] = int8_fj, iy[0] = int8_acc, qx[0] = pp_fj, qy[0] = pp_acc;
    pp_plot_series s[5] = {{"plain b-bit (2..8)", ux, uy, nu, PP_PLOT_LINESPOINTS},
                           {"int8 (nn)", ix, iy, 1, PP_PLOT_POINTS},
                           {"PANN, budget matched on the trace", px, py, np, PP_PLOT_LINESPOINTS},
                           {"PANN, budget matched on reference streams", rx, ry, nr, PP_PLOT_LINESPOINTS},
                           {"PowerPruning", qx, qy, 1, PP_PLOT_POINTS}};
    /* drop empty series, keep the order */
    int ns = 0;
    for (int k = 0; k < 5; k++) {
      if (s[k].n == 0 || (k == 4 && !ppm)) continue;
      s[ns++] = s[k];
    }
    pp_plot_opts po = {0};
    po.title = "Accuracy vs MAC energy (bit-flip models on each network's products)";
    po.xlabel = "energy per MAC (fJ) = power per MAC unit at 1 GHz (uW)";
    po.ylabel = "test accuracy (%)";
    po.logx = 1;
    snprintf(path, sizeof path, "%s/pann_accuracy_power", dir);
    if (pp_plot_accuracy_power(path, &po, s, ns, &e)) goto fail;
  } else {
    fprintf(stderr, "powerprune pann: gnuplot not found, no plot written\n");
  }
  fprintf(stderr, "powerprune pann: wrote %s/pann_compare.json, .csv%s\n", dir,
          pp_plot_available() ? " and pann_accuracy_power.svg/.png" : "");
  pp_pann_compare_free(&c);
  pp_nn_model_free(ppm);
  unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_pann_compare_free(&c);
  pp_nn_model_free(ppm);
  unload(&L);
  return rc;
}

static int cmd_accum(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  loaded L;
  pp_lib *lib = NULL;
  pp_nn_qmodel *q = NULL;
  int rc;
  if (load_model(a, &L, &e)) goto fail;
  if (pp_lib_read(a->lib ? a->lib : pp_lib_default_path(), &lib, &e)) goto fail;
  if (pp_nn_qmodel_build(L.m, &q, &e)) goto fail;
  pp_pann_accum_opts o;
  pp_pann_accum_defaults(&o);
  o.acc_bits = a->acc_bits;
  o.adder_arch = a->adder;
  o.images = a->images;
  o.max_transitions = a->transitions;
  o.seed = (uint64_t)a->seed;
  pp_pann_accum_result r[2];
  for (int df = 0; df < 2; df++) {
    o.dataflow = df;
    if (pp_pann_accum_trace(lib, q, &L.test, &o, &r[df], &e)) goto fail;
    printf("%-10s signed %.3f fJ per MAC, split (w+/w- unsigned) %.3f fJ per MAC: split saves %.1f%%"
           " (%ld/%ld transitions simulated)\n",
           df ? "systolic" : "sequential", r[df].signed_fj_per_mac, r[df].split_fj_per_mac,
           100 * (1 - r[df].split_fj_per_mac / r[df].signed_fj_per_mac), r[df].sim_signed, r[df].sim_split);
  }
  if (a->json) {
    fflush(stdout);
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_json_obj_begin(&j);
    pp_json_key(&j, "format");
    pp_json_str(&j, "powerprune-pann-accum/1");
    pp_json_key(&j, "model_file");
    pp_json_str(&j, a->model);
    pp_json_key(&j, "acc_bits");
    pp_json_int(&j, a->acc_bits);
    for (int df = 0; df < 2; df++) {
      pp_json_key(&j, df ? "systolic" : "sequential");
      pp_json_obj_begin(&j);
      pp_json_key(&j, "signed_fj_per_mac");
      pp_json_num(&j, r[df].signed_fj_per_mac);
      pp_json_key(&j, "split_fj_per_mac");
      pp_json_num(&j, r[df].split_fj_per_mac);
      pp_json_key(&j, "saving_pct");
      pp_json_num(&j, 100 * (1 - r[df].split_fj_per_mac / r[df].signed_fj_per_mac));
      pp_json_key(&j, "signed_transitions");
      pp_json_int(&j, r[df].sim_signed);
      pp_json_key(&j, "split_transitions");
      pp_json_int(&j, r[df].sim_split);
      pp_json_obj_end(&j);
    }
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  pp_nn_qmodel_free(q);
  pp_lib_free(lib);
  unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_nn_qmodel_free(q);
  pp_lib_free(lib);
  unload(&L);
  return rc;
}

/* Plans the PANN network of the budget on model m (fresh calibration) and
 * reports its test accuracy. */
static int plan_and_test(const args *a, pp_nn_model *m, loaded *L, const pp_pann_power *pw, pp_pann_plan *pl,
                         double *test_acc, double *trace_fj, pp_err *e) {
  pp_pann_net *net;
  int st = pp_pann_net_create(m, &L->train, 0, a->calib, &net, e);
  if (st) return st;
  pp_pann_plan_opts po;
  plan_opts(a, L, &po);
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

static int cmd_qat(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  if (!a->save) return pp_cli_usage("pann", "qat needs --save F (the fine-tuned float model)");
  if (a->budget_bits < 2) return pp_cli_usage("pann", "qat needs --budget-bits B (the deployment the training targets)");
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted, rc;
  loaded L;
  if (load_model(a, &L, &e) || get_power(a, &pw, &cl, &fitted, &e)) goto fail;
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
    plan_opts(a, &L, &po);
    pp_pann_qat_opts qo;
    pp_pann_qat_defaults(&qo);
    qo.lsq = a->lsq;
    qo.lr = a->lr;
    qo.calib_images = a->calib;
    qo.seed = (uint64_t)a->seed;
    fprintf(stderr, "powerprune pann qat: probing activation widths %d..%d, %ld steps each\n", po.bx_min, po.bx_max,
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
  printf("before: %d-bit activations, R %.3f (%s-matched, %s allocation): test %.2f%%, trace %.3f fJ/MAC (target %.3f)\n",
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
  plan_opts(a, &L, &mo);
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
    plan_opts(&a2, &L, &po);
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
  printf("after %ld steps (%s activations in training): %d-bit activations, R %.3f: test %.2f%%, trace %.3f fJ/MAC on "
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
      pp_json_key(&j, "target_fj");
      pp_json_num(&j, p->target_fj);
      pp_json_key(&j, "trace_images_fj");
      pp_json_num(&j, k ? p->achieved_fj : p->achieved_fj);
      pp_json_key(&j, "layer_R");
      pp_json_arr_begin(&j);
      for (int l = 0; l < p->nl; l++) pp_json_num(&j, p->layer_R[l]);
      pp_json_arr_end(&j);
      pp_json_key(&j, "trace_fj");
      pp_json_num(&j, k ? fj1 : fj0);
      pp_json_key(&j, "test_acc_pct");
      pp_json_num(&j, k ? acc1 : acc0);
      pp_json_obj_end(&j);
    }
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  unload(&L);
  return rc;
}

int pp_cmd_pann(int argc, char **argv) {
  args a;
  int rc = parse(argc, argv, &a);
  if (rc < 0) {
    help(stdout);
    return PP_EXIT_OK;
  }
  if (rc) return rc;
  if (!strcmp(a.sub, "fit")) return cmd_fit(&a);
  if (!strcmp(a.sub, "quantize")) return cmd_quantize(&a);
  if (!strcmp(a.sub, "compare")) return cmd_compare(&a);
  if (!strcmp(a.sub, "qat")) return cmd_qat(&a);
  return cmd_accum(&a);
}
