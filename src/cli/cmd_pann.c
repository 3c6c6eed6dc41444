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
#include "pp/pann.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: powerprune pann fit [options]\n"
          "       powerprune pann quantize --model-file F (--budget-bits B | --budget-fj E | --budget-uw P) [options]\n"
          "       powerprune pann compare --model-file F [--out DIR] [options]\n"
          "       powerprune pann accum --model-file F [options]\n"
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
          "accum:    --images N (2)  --transitions N (4000 per stream)\n");
}

typedef struct args {
  const char *sub, *power, *lib, *out, *model, *data, *data_dir, *pp_model, *act_bits;
  int json, samples, samples_set, acc_bits, mult, adder, calib, val, test, energy_images, accum, bias_corr;
  int budget_bits, images, transitions;
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
  if (argc < 2) return pp_cli_usage("pann", "missing the action: fit, quantize, compare or accum");
  a->sub = argv[1];
  if (!strcmp(a->sub, "-h") || !strcmp(a->sub, "--help")) return -1;
  if (strcmp(a->sub, "fit") && strcmp(a->sub, "quantize") && strcmp(a->sub, "compare") && strcmp(a->sub, "accum"))
    return pp_cli_usage("pann", "unknown action '%s': expected fit, quantize, compare or accum", a->sub);
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
    else if (!strcmp(o, "--power")) { NEEDV(); a->power = v; }
    else if (!strcmp(o, "--lib")) { NEEDV(); a->lib = v; }
    else if (!strcmp(o, "--out")) { NEEDV(); a->out = v; }
    else if (!strcmp(o, "--model-file")) { NEEDV(); a->model = v; }
    else if (!strcmp(o, "--data")) { NEEDV(); a->data = v; }
    else if (!strcmp(o, "--data-dir")) { NEEDV(); a->data_dir = v; }
    else if (!strcmp(o, "--pp-model")) { NEEDV(); a->pp_model = v; }
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

int pp_cmd_pann(int argc, char **argv) {
  args a;
  int rc = parse(argc, argv, &a);
  if (rc < 0) {
    help(stdout);
    return PP_EXIT_OK;
  }
  if (rc) return rc;
  if (!strcmp(a.sub, "fit")) return cmd_fit(&a);
  return pp_cli_usage("pann", "'%s' needs module nn, which this build does not have yet", a.sub);
}
