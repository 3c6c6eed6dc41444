/* cli/cmd_pann: `powerprune pann fit|quantize|compare|accum|qat`: the bit-flip
 * power models fitted to the gate-level simulator, PANN quantization of a
 * trained model at a power budget, and the equal-power comparison with plain
 * b-bit quantization (and the int8 / PowerPruning networks of module nn).
 * This file holds the option table and what the actions share; each action
 * is in cmd_pann_<action>.c. */
#include <stdarg.h>

#include "pann_cli.h"

FILE *pp_cli_pann_out;
static const char *phase_action = "";
static double phase_start;

void pp_cli_pann_phase(const char *fmt, ...) {
  char b[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  fprintf(stderr, "powerprune pann %s: %s (%.1fs)\n", phase_action, b, pp_now() - phase_start);
}

static const char *USAGE =
    "usage: powerprune pann fit [options]\n"
    "       powerprune pann quantize --model-file F (--budget-bits B | --budget-fj E | --budget-uw P) [options]\n"
    "       powerprune pann compare --model-file F [--out DIR] [options]\n"
    "       powerprune pann accum --model-file F [options]\n"
    "       powerprune pann qat --model-file F --budget-bits B --act-bits N --save F2 [options]\n"
    "\n"
    "fit       generates the MAC parts (multiplier, accumulator adder, PANN adder) at widths\n"
    "          2..8, simulates mixed input streams with the timed gate-level engine and fits\n"
    "          the bit-flip energy models by least squares; prints the fit error per width\n"
    "          and, with --json, one JSON object with the models on stdout.\n"
    "quantize  PANN-quantizes a trained float model (post-training, no retraining) so that\n"
    "          its mean additions per input R spend the budget; reports accuracy and energy.\n"
    "compare   accuracy vs power: plain b-bit quantization (2..8 bits) against PANN at the\n"
    "          power of every b-bit MAC, the float and int8 networks (and --pp-model);\n"
    "          writes DIR/pann_compare.json, .csv and the plot pann_accuracy_power.svg/.png.\n"
    "accum     signed vs split (w = w+ - w-, unsigned) accumulation on the int8 network's real\n"
    "          accumulator streams, simulated at gate level on the 8-bit MAC's adder.\n"
    "qat       PANN during training: straight-through fine-tuning at the R the budget gives\n"
    "          for N-bit activations; saves the float model (re-quantize it at any budget).\n";

static const pp_opt_choice accums[] = {{"signed", PP_PANN_SIGNED}, {"split", PP_PANN_SPLIT}, {NULL, 0}};
static const pp_opt_choice allocs[] = {{"uniform", PP_PANN_ALLOC_UNIFORM}, {"greedy", PP_PANN_ALLOC_GREEDY}, {NULL, 0}};
static const pp_opt_choice matches[] = {
    {"ref", PP_PANN_MATCH_REF}, {"trace", PP_PANN_MATCH_TRACE}, {"both", PP_PANN_MATCH_BOTH}, {NULL, 0}};


/* --act-bits N|auto: kept as the text, checked here */
static int act_bits_cb(const char *cmd, const pp_opt *o, const char *v) {
  long l;
  if (strcmp(v, "auto") && pp_cli_parse_long(v, 2, 8, &l))
    return pp_cli_usage(cmd, "--act-bits must be 2..8 or auto, not '%s'", v);
  *(const char **)o->dst = v;
  return 0;
}

/* --samples N, remembered as given: fitting on the fly takes fewer without it */
static int samples_cb(const char *cmd, const pp_opt *o, const char *v) {
  args *a = o->dst;
  long l;
  if (pp_cli_parse_long(v, 50, 10000000, &l)) return pp_cli_usage(cmd, "--samples must be a whole number in 50..10000000, not '%s'", v);
  a->samples = (int)l;
  a->samples_set = 1;
  return 0;
}

/* --pann-act-bits N or N-M */
static int pann_act_bits_cb(const char *cmd, const pp_opt *o, const char *v) {
  args *a = o->dst;
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10), y = x;
  if (end != v && *end == '-') y = strtol(end + 1, &end, 10);
  if (end == v || *end || errno || x < 2 || y > 8 || x > y)
    return pp_cli_usage(cmd, "--pann-act-bits must be N or N-M within 2..8, not '%s'", v);
  a->bx_min = (int)x, a->bx_max = (int)y;
  return 0;
}

static int parse(int argc, char **argv, args *a) {
  memset(a, 0, sizeof *a);
  /* every default is the library's (one place each), except the few the command line chooses itself */
  pp_pann_fit_opts fo;
  pp_pann_compare_opts co;
  pp_pann_deploy_opts dep;
  pp_pann_accum_opts ao;
  pp_pann_fit_defaults(&fo);
  pp_pann_compare_defaults(&co);
  pp_pann_deploy_defaults(&dep);
  pp_pann_accum_defaults(&ao);
  a->samples = fo.samples, a->acc_bits = fo.acc_bits, a->mult = fo.mult_arch, a->adder = fo.adder_arch;
  a->calib = co.calib_images, a->val = co.val_images, a->energy_images = co.energy_images, a->accum = co.accum;
  a->bias_corr = co.bias_corr, a->seed = (int)co.seed, a->lsq = co.lsq, a->match = co.match;
  a->trace_images = co.trace_images, a->alloc_evals = co.alloc_max_evals;
  a->bx_min = co.pann_bx_min, a->bx_max = co.pann_bx_max;
  a->steps = (int)dep.qat.steps, a->probe_steps = (int)dep.probe_steps, a->lr = dep.qat.lr;
  a->images = ao.images, a->transitions = (int)ao.max_transitions;
  a->alloc = PP_PANN_ALLOC_GREEDY; /* the comparison's best point: the library's plain default is uniform */
  a->data = "fashion-mnist";
  a->clock_mhz = 1000;
  a->budget_fj = a->budget_uw = NAN;
  a->act_bits = "auto";
  char samples_def[24];
  snprintf(samples_def, sizeof samples_def, "%d", a->samples);
  char bx_def[24];
  snprintf(bx_def, sizeof bx_def, "%d-%d", a->bx_min, a->bx_max);
  pp_opt opts[] = {
      PP_OPT_GROUP("common options:"),
      PP_OPT_PATH("power", &a->power, "F.json", "fitted models from 'pann fit --out'", .def = "fit now, --samples"),
      PP_OPT_PATH("lib", &a->lib, "F", "cell library", .def = "the project's"),
      PP_OPT_CALLBACK("samples", a, samples_cb, "N",
                      "transitions per part when fitting (600 when fitting\n"
                      "on the fly for quantize/compare without --samples)",
                      .def = samples_def),
      PP_OPT_INT("acc-bits", &a->acc_bits, 17, 40, "B", "accumulator width"),
      PP_OPT_MULT(&a->mult),
      PP_OPT_ADDER(&a->adder),
      PP_OPT_INT("seed", &a->seed, 0, PP_OPT_INT_MAX, "S", "seed of every random choice"),
      PP_OPT_FLAG("json", &a->json, "print the result as one JSON object on stdout (the text goes to stderr)"),
      PP_OPT_PATH("out", &a->out, "F|DIR", "fit/quantize: JSON file; compare: output folder"),
      PP_OPT_GROUP("model options:"),
      PP_OPT_PATH("model-file", &a->model, "F", "trained model (powerprune train)"),
      PP_OPT_STRING("data", &a->data, "NAME", "the data set"),
      PP_OPT_PATH("data-dir", &a->data_dir, "D", "where its files are"),
      PP_OPT_INT("calib", &a->calib, 1, 1000000, "N", "calibration images"),
      PP_OPT_INT("val", &a->val, 1, 1000000, "N", "validation images"),
      PP_OPT_INT("test", &a->test, 1, 1000000, "N", "test images", .def = "all"),
      PP_OPT_INT("energy-images", &a->energy_images, 1, 100000, "N", "images whose streams give the energy"),
      PP_OPT_ENUM("accum", &a->accum, accums, "accumulation of the b-bit baseline MAC"),
      PP_OPT_BOOL("bias-corr", &a->bias_corr, "bias correction"),
      PP_OPT_GROUP("budget (quantize, qat):"),
      PP_OPT_INT("budget-bits", &a->budget_bits, 2, 8, "B", "the energy of a B-bit MAC", .flags = PP_OPT_NODEF),
      PP_OPT_DOUBLE("budget-fj", &a->budget_fj, 0, PP_OPT_INF, "E", "an energy per MAC in fJ",
                    .flags = PP_OPT_LO_OPEN | PP_OPT_NODEF),
      PP_OPT_DOUBLE("budget-uw", &a->budget_uw, 0, PP_OPT_INF, "P", "a power per MAC in uW, at --clock-mhz",
                    .flags = PP_OPT_LO_OPEN | PP_OPT_NODEF),
      PP_OPT_DOUBLE("clock-mhz", &a->clock_mhz, 0, PP_OPT_INF, "F", "clock of --budget-uw", .flags = PP_OPT_LO_OPEN),
      PP_OPT_CALLBACK("act-bits", &a->act_bits, act_bits_cb, "N|auto", "activation bits (auto: best on validation)",
                      .def = "auto"),
      PP_OPT_GROUP("planning (quantize, compare, qat):"),
      PP_OPT_BOOL("lsq", &a->lsq, "least-squares refit of the quantized weights"),
      PP_OPT_ENUM("alloc", &a->alloc, allocs, "how R is shared out between layers"),
      PP_OPT_ENUM("match", &a->match, matches, "energy matched on the reference or the trace (both: compare only)"),
      PP_OPT_CALLBACK("pann-act-bits", a, pann_act_bits_cb, "N|N-M", "activation widths --act-bits auto tries",
                      .def = bx_def),
      PP_OPT_DOUBLE("R", &a->R_fixed, 0, PP_OPT_INF, "X", "use this R instead of the one the budget gives",
                    .flags = PP_OPT_LO_OPEN | PP_OPT_NODEF),
      PP_OPT_INT("trace-images", &a->trace_images, 1, 100000, "N", "images of the trace the energy is matched on"),
      PP_OPT_INT("alloc-evals", &a->alloc_evals, 1, 100000, "N", "validation passes of --alloc greedy"),
      PP_OPT_GROUP("compare:"),
      PP_OPT_PATH("pp-model", &a->pp_model, "F", "a PowerPruning-restricted model to place on the same axes"),
      PP_OPT_GROUP("accum:"),
      PP_OPT_INT("images", &a->images, 1, 100000, "N", "images whose accumulator streams are simulated"),
      PP_OPT_INT("transitions", &a->transitions, 10, 10000000, "N", "transitions per stream"),
      PP_OPT_GROUP("qat:"),
      PP_OPT_INT("steps", &a->steps, 1, 100000000, "N", "fine-tuning steps"),
      PP_OPT_DOUBLE("lr", &a->lr, 0, PP_OPT_INF, "X", "learning rate of the fine-tuning", .flags = PP_OPT_LO_OPEN),
      PP_OPT_PATH("save", &a->save, "F2", "where the fine-tuned float model goes (required)"),
      PP_OPT_INT("probe-steps", &a->probe_steps, 0, 100000000, "N",
                 "with --act-bits auto, every width of --pann-act-bits is\n"
                 "planned and fine-tuned for N steps; the best on validation images wins\n"
                 "(0: choose by post-training validation accuracy, as quantize does)"),
      PP_OPT_FLAG("float-acts", &a->float_acts, "train with float activations (quantized only at the end)"),
      PP_OPT_END(),
  };
  if (argc < 2) return pp_cli_usage("pann", "missing the action: fit, quantize, compare, accum or qat");
  a->sub = argv[1];
  if (!strcmp(a->sub, "-h") || !strcmp(a->sub, "--help")) {
    pp_opt_help(stdout, USAGE, opts);
    return PP_OPT_HELP;
  }
  if (strcmp(a->sub, "fit") && strcmp(a->sub, "quantize") && strcmp(a->sub, "compare") && strcmp(a->sub, "accum") &&
      strcmp(a->sub, "qat"))
    return pp_cli_usage("pann", "unknown action '%s': expected fit, quantize, compare, accum or qat", a->sub);
  return pp_opt_parse("pann", USAGE, opts, argc - 1, argv + 1, NULL);
}

/* Fits (or loads) the models. */
int pp_cli_pann_power(const args *a, pp_pann_power *pw, pp_pann_claims *cl, int *fitted, pp_err *e) {
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
  pp_cli_pann_phase("fitting the power models (%d transitions per part)", fo.samples);
  st = pp_pann_fit(lib, &fo, pw, cl, e);
  pp_lib_free(lib);
  if (!st) *fitted = 1;
  return st;
}


int pp_cli_pann_load(const args *a, loaded *L, pp_err *e) {
  memset(L, 0, sizeof *L);
  if (!a->model) return pp_err_set(e, PP_EINVAL, "", 0, "--model-file is required");
  int st = pp_nn_model_load(a->model, &L->m, e);
  if (!st) st = pp_nn_data_load(a->data, a->data_dir, &L->train, &L->test, e);
  return st;
}
void pp_cli_pann_unload(loaded *L) {
  pp_nn_model_free(L->m);
  pp_nn_data_free(&L->train);
  pp_nn_data_free(&L->test);
}

/* The planner's options from the command line: validation images follow the
 * calibration images in the training set, trace images are its first ones. */
void pp_cli_pann_plan_opts(const args *a, const loaded *L, pp_pann_plan_opts *po) {
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
  if (strcmp(a->act_bits, "auto")) po->bx_min = po->bx_max = (int)strtol(a->act_bits, NULL, 10) /* checked 2..8 above */;
  po->seed = (uint64_t)a->seed;
  po->fixed_R = a->R_fixed;
}

int pp_cmd_pann(int argc, char **argv) {
  args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  pp_cli_pann_out = a.json ? stderr : stdout;
  phase_action = a.sub;
  phase_start = pp_now();
  if (!strcmp(a.sub, "fit")) return pp_cli_pann_fit(&a);
  if (!strcmp(a.sub, "quantize")) return pp_cli_pann_quantize(&a);
  if (!strcmp(a.sub, "compare")) return pp_cli_pann_compare(&a);
  if (!strcmp(a.sub, "qat")) return pp_cli_pann_qat(&a);
  return pp_cli_pann_accum(&a);
}
