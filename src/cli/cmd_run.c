/* cli/cmd_run: `powerprune run`, the whole PowerPruning flow with its report,
 * resumable in its output folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "opt.h"
#include "pp/array.h"
#include "pp/flow.h"
#include "pp/macgen.h"
#include "pp/netlist.h"

static const char *USAGE =
    "usage: powerprune run [options]\n"
    "\n"
    "The whole PowerPruning flow: train (or --model-file) -> int8 QAT -> magnitude pruning ->\n"
    "trace on the array -> power and timing of the MAC per weight value -> lower the power\n"
    "threshold while the accuracy holds -> lower the delay threshold in 10 ps steps until it\n"
    "drops by the tolerance -> power on Standard and Optimized HW with voltage scaling -> report\n"
    "(OUT/summary.json, OUT/table.csv, OUT/report.html and figures).\n"
    "Each finished stage is a file in OUT/stages/; running again skips finished stages, so an\n"
    "interrupted run resumes; a changed option redoes that stage and the ones after it.\n"
    "\n";

static const pp_opt_choice models[] = {{"lenet5", 0}, {"resnet20", 1}, {"dwnet", 2}, {NULL, 0}};
static const pp_opt_choice datas[] = {
    {"fashion-mnist", 0}, {"cifar10", 1}, {"synthetic", 2}, {"mnist", 3}, {"cifar100", 4}, {NULL, 0}};
static const pp_opt_choice power_tuples[] = {{"joint", PP_FLOW_TUPLES_JOINT}, {"bins", PP_FLOW_TUPLES_BINS}, {NULL, 0}};
static const pp_opt_choice select_methods[] = {{"search", 0}, {"greedy", 1}, {"random", 2}, {NULL, 0}};

/* The enum value of word s in c (its first when s is not there). */
static int choice_of(const pp_opt_choice *c, const char *s) {
  for (int k = 0; s && c[k].name; k++)
    if (!strcmp(c[k].name, s)) return c[k].value;
  return c[0].value;
}

/* --seed: the whole uint64 range, as pp_flow_opts holds it */
static int seed_cb(const char *cmd, const pp_opt *o, const char *v) {
  char *end;
  errno = 0;
  unsigned long long s = strtoull(v, &end, 10);
  if (!*v || *end || *v == '-' || errno) return pp_cli_usage(cmd, "--seed must be a whole number >= 0, not '%s'", v);
  *(uint64_t *)o->dst = s;
  return 0;
}

static void seed_fmt(pp_json *j, const pp_opt *o) { pp_json_uint(j, *(const uint64_t *)o->dst); }

/* --sparsity auto|F */
static int sparsity_cb(const char *cmd, const pp_opt *o, const char *v) {
  pp_flow_opts *f = o->dst;
  double d;
  if (!strcmp(v, "auto")) {
    f->sparsity_auto = 1;
    return 0;
  }
  if (pp_cli_parse_double(v, &d) || !(d >= 0) || !(d < 1))
    return pp_cli_usage(cmd, "--sparsity must be auto or a fraction >= 0 and < 1, not '%s'", v);
  f->sparsity = d;
  f->sparsity_auto = 0;
  return 0;
}

/* --lib-at V=FILE or FILE (supply from its nom_voltage); repeatable, and a
 * comma-separated list (how run.json's array of them reads back) */
static int lib_at_cb(const char *cmd, const pp_opt *o, const char *v) {
  pp_flow_opts *f = o->dst;
  for (const char *q = v; *q;) {
    const char *end = strchr(q, ',');
    size_t n = end ? (size_t)(end - q) : strlen(q);
    char item[1100];
    if (n == 0 || n >= sizeof item || f->n_lib_at >= PP_FLOW_MAX_LIB_AT)
      return pp_cli_usage(cmd, "--lib-at takes up to %d libraries as V=FILE or FILE, not '%s'", PP_FLOW_MAX_LIB_AT, v);
    memcpy(item, q, n);
    item[n] = 0;
    char *eq = strchr(item, '=');
    double volt = 0;
    const char *file = item;
    if (eq) {
      *eq = 0;
      if (pp_cli_parse_double(item, &volt) || !(volt > 0) || volt > 100)
        return pp_cli_usage(cmd, "--lib-at %s: expected a supply in volts > 0 before '='", v);
      file = eq + 1;
    }
    if (!*file || strlen(file) >= sizeof f->lib_at_file[0])
      return pp_cli_usage(cmd, "--lib-at %s: expected a Liberty file name", v);
    f->lib_at_v[f->n_lib_at] = volt;
    memcpy(f->lib_at_file[f->n_lib_at++], file, strlen(file) + 1); /* fits: checked above */
    q = end ? end + 1 : q + n;
  }
  return 0;
}

/* ["0.7=b.lib", ...], null when none */
static void lib_at_fmt(pp_json *j, const pp_opt *o) {
  const pp_flow_opts *f = o->dst;
  if (!f->n_lib_at) {
    pp_json_null(j);
    return;
  }
  pp_json_arr_begin(j);
  for (int i = 0; i < f->n_lib_at; i++) {
    char b[1200];
    if (f->lib_at_v[i] > 0) snprintf(b, sizeof b, "%.17g=%s", f->lib_at_v[i], f->lib_at_file[i]);
    else snprintf(b, sizeof b, "%s", f->lib_at_file[i]);
    pp_json_str(j, b);
  }
  pp_json_arr_end(j);
}

/* "auto" or the fraction */
static void sparsity_fmt(pp_json *j, const pp_opt *o) {
  const pp_flow_opts *f = o->dst;
  if (f->sparsity_auto) pp_json_str(j, "auto");
  else pp_json_num(j, f->sparsity);
}

/* --power-counts 128,64,32 */
static int power_counts_cb(const char *cmd, const pp_opt *o, const char *v) {
  int *counts = o->dst, tmp[32], k = 0;
  for (const char *q = v; *q;) {
    char *end;
    errno = 0;
    long c = strtol(q, &end, 10);
    if (end == q || errno || c < 1 || c > 255 || k >= 31 || (*end && *end != ','))
      return pp_cli_usage(cmd, "--power-counts must be up to 31 counts in 1..255, comma separated, not '%s'", v);
    tmp[k++] = (int)c;
    q = *end == ',' ? end + 1 : end;
  }
  tmp[k] = 0;
  memcpy(counts, tmp, sizeof(int) * (size_t)(k + 1));
  return 0;
}

/* [128, 64, 32], null when none were given (the flow's default ladder) */
static void power_counts_fmt(pp_json *j, const pp_opt *o) {
  const int *counts = o->dst;
  if (!counts[0]) {
    pp_json_null(j);
    return;
  }
  pp_json_arr_begin(j);
  for (int k = 0; k < 31 && counts[k]; k++) pp_json_int(j, counts[k]);
  pp_json_arr_end(j);
}

/* Writes DIR/run.json: every option of the table that the run used. */
static int write_run_file(const char *dir, const pp_opt *opts, pp_err *e) {
  char p[4200];
  pp_outfile f;
  int rc = pp_mkdirs(dir, e);
  if (rc) return rc;
  snprintf(p, sizeof p, "%s/run.json", dir);
  if ((rc = pp_outfile_open(&f, p, e))) return rc;
  pp_json j;
  pp_json_init(&j, f.f, 1);
  pp_opt_json_write(&j, PP_CLI_RUN_FORMAT, opts);
  pp_json_end(&j);
  return pp_outfile_commit(&f, e);
}

static void logger(void *u, const char *msg) {
  (void)u;
  fprintf(stderr, "powerprune run: %s\n", msg);
}

int pp_cmd_run(int argc, char **argv) {
  pp_flow_opts o;
  pp_flow_opts_default(&o);
  o.out_dir = "powerprune-out";
  o.log = logger;
  int json = 0, dry_run = 0, model = choice_of(models, o.model), data = choice_of(datas, o.data);
  /* NULL architecture: the generator's default (pp/macgen.h), as the flow builds it */
  int mult = o.mult_arch ? choice_of(pp_opt_mult_choices, o.mult_arch) : PP_MAC_MULT_DEFAULT;
  int adder = o.adder_arch ? choice_of(pp_opt_adder_choices, o.adder_arch) : PP_MAC_ADDER_DEFAULT;
  int method = choice_of(select_methods, o.select_method);
  const char *config = NULL;
#define POS_INT(name, p, arg, h, d) PP_OPT_INT(name, p, 1, 100000000, arg, h, .def = (d))
  pp_opt opts[] = {
      PP_OPT_PATH("out", &o.out_dir, "DIR", "output folder"),
      PP_OPT_ENUM("model", &model, models, "the network"),
      PP_OPT_ENUM("data", &data, datas, "the data set"),
      PP_OPT_PATH("data-dir", &o.data_dir, "DIR", "where the data set's files are",
                  .def = "fashion-mnist: the Debian package's"),
      PP_OPT_PATH("model-file", &o.model_file, "FILE", "start from this trained float model instead of training"),
      PP_OPT_PATH("mac", &o.mac_file, "FILE", "MAC netlist (structural Verilog)", .def = "the built-in MAC"),
      PP_OPT_PATH("mult-netlist", &o.mult_file, "FILE", "its multiplier alone (ports w, a -> prod), for timing; with --mac"),
      PP_OPT_PATH("adder-netlist", &o.adder_file, "FILE", "its adder alone (ports prod, p -> y), for timing; with --mac"),
      PP_OPT_PATH("lib", &o.lib_file, "FILE", "Liberty cell library", .def = "the built-in library"),
      PP_OPT_CALLBACK("lib-at", &o, lib_at_cb, "V=FILE",
                      "the same library at another supply (repeat for more; V: its supply, else its nom_voltage): "
                      "the voltage law is fitted to the MAC's STA and leakage at every supply",
                      .def = "none: the default law", .fmt = lib_at_fmt),
      PP_OPT_MULT(&mult),
      PP_OPT_ADDER(&adder),
      PP_OPT_FLAG("quick", &o.quick, "fewer epochs, images and transitions (a smoke test)"),
      PP_OPT_CALLBACK("seed", &o.seed, seed_cb, "S", "seed of every random choice", .def = "1", .fmt = seed_fmt),
      PP_OPT_DOUBLE("tolerance", &o.tolerance, 0, PP_OPT_INF, "PTS", "accuracy points the delay phase may lose"),
      PP_OPT_DOUBLE("power-tolerance", &o.power_tolerance, 0, PP_OPT_INF, "PTS",
                    "accuracy points the power phase may lose"),
      PP_OPT_CALLBACK("sparsity", &o, sparsity_cb, "auto|F",
                      "conventional pruning: auto picks the highest sparsity of\n"
                      "the model's grid whose decision accuracy loses at most half of\n"
                      "--tolerance; F: this fraction of zero weights",
                      .def = "auto", .fmt = sparsity_fmt),
      POS_INT("val-images", &o.val_images, "N",
              "decision images held out of the training file: every\n"
              "choice reads them, the test set only the report",
              "5000; quick 1000"),
      PP_OPT_INT("refine", &o.refine_retrains, 0, 64, "N", "bisection retrains per phase after a failed step",
                 .def = "3; quick 2"),
      PP_OPT_INT("delay-starts", &o.delay_starts, 0, 8, "N",
                 "run the delay phase from the kept power step and N-1 earlier ladder steps,\n"
                 "keep the lowest estimated Optimized-HW power (1: the paper's way)"),
      PP_OPT_BOOL("final-prune", &o.final_prune,
                  "after the delay phase, spend the loss budget left on more\n"
                  "sparsity in steps of 0.05 (zero is always an allowed weight)"),
      PP_OPT_INT("min-activations", &o.min_activations, 2, 256, "N",
                 "the delay phase keeps at least N activation values", .def = "2"),
      POS_INT("candidates", &o.candidates, "N", "delay sets per threshold ranked by proxy accuracy", "6"),
      PP_OPT_FLAG("prune-global", &o.prune_global, "one magnitude threshold over all layers (default: each layer)"),
      POS_INT("epochs", &o.epochs, "N", "float training epochs", "10; resnet20/dwnet 30; quick 2"),
      POS_INT("qat-epochs", &o.qat_epochs, "N", "int8 QAT and post-pruning fine-tuning epochs", "2; quick 1"),
      POS_INT("retrain-epochs", &o.retrain_epochs, "N", "epochs per threshold step", "1"),
      POS_INT("train-images", &o.train_images, "N", "use the first N training images", "all; quick 6000"),
      POS_INT("test-images", &o.test_images, "N", "use the first N test images", "all; quick 2000"),
      POS_INT("trace-images", &o.trace_images, "N", "images run on the array", "100; quick 4"),
      POS_INT("transitions", &o.transitions, "N", "sampled transitions per weight value", "10000; quick 500"),
      PP_OPT_ENUM("power-tuples", &o.power_tuples, power_tuples,
                  "what P[w]'s transitions are drawn from: joint samples of the\n"
                  "trace's real (activation, partial sum) streams, or the paper's\n"
                  "activation histogram x partial-sum bins, sampled independently"),
      PP_OPT_INT("array", &o.array, 1, PP_ARRAY_MAX_SIZE, "N", "N x N systolic array", .def = "64"),
      POS_INT("repeats", &o.repeats, "R", "delay selection repeats", "20; quick 4"),
      PP_OPT_ENUM("select-method", &method, select_methods,
                  "delay selection: search, greedy, or random (the paper's\n"
                  "random member removal); see 'powerprune select --help'"),
      PP_OPT_DOUBLE("delay-step", &o.delay_step_ps, 0, PP_OPT_INF, "PS", "delay threshold step",
                    .flags = PP_OPT_LO_OPEN, .def = "10"),
      PP_OPT_DOUBLE("tick-ps", &o.tick_ps, 0, PP_OPT_INF, "PS", "time step of the timing simulation",
                    .flags = PP_OPT_LO_OPEN, .def = "1; quick 4"),
      PP_OPT_CALLBACK("power-counts", o.power_counts, power_counts_cb, "LIST",
                      "weight values each power-threshold step keeps, e.g. 128,64,32",
                      .def = "192,128,96,64,48,32,24,16; quick 96,32", .fmt = power_counts_fmt),
      PP_OPT_INT("power-steps", &o.power_divisions, 1, 100000000, "N",
                 "instead: N equal steps in uW over the range of P[w]", .flags = PP_OPT_NODEF),
      PP_OPT_FLAG("no-pann", &o.no_pann,
                  "skip the comparison with PANN and plain low-bit quantization\n"
                  "(stage 01-pann: bit-flip power models fitted to the gate-level\n"
                  "simulator, cached, and the float model quantized; stage 21-pann:\n"
                  "the run's networks on those models; table, plot, pann_compare.csv)"),
      POS_INT("pann-samples", &o.pann_samples, "N", "transitions per MAC part when fitting those models",
              "3000; quick 400"),
      PP_OPT_INT("pann-qat-steps", &o.pann_qat_steps, 0, 100000000, "N",
                 "also fine-tune PANN at the 2- and 3-bit budgets for N steps, as\n"
                 "'pann qat' does (0: post-training PANN only)",
                 .def = "2000; quick 0"),
      PP_OPT_FLAG("force", &o.force, "redo every stage", .flags = PP_OPT_NOSAVE),
      PP_OPT_PATH("cache", &o.cache_dir, "DIR", "reuse trained float models, delay tables and power models",
                  .def = "$PP_CACHE_DIR, else $XDG_CACHE_HOME/powerprune, else ~/.cache/powerprune"),
      PP_OPT_FLAG("no-cache", &o.no_cache, "neither read nor write the cache"),
      PP_OPT_FLAG("json", &json,
                  "print the result as one JSON object on stdout (Table I's numbers\n"
                  "in mW, delays, voltages, counts, the file paths; format\n" PP_REPORT_RESULT_FORMAT ")",
                  .flags = PP_OPT_NOSAVE),
      PP_OPT_PATH("config", &config, "FILE",
                  "take the options from a run file (the OUT/run.json every run\n"
                  "writes: format " PP_CLI_RUN_FORMAT "); options given here win",
                  .flags = PP_OPT_NOSAVE),
      PP_OPT_FLAG("dry-run", &dry_run,
                  "print the effective options as the run.json the run would\n"
                  "write (null: the default the flow works out) and exit",
                  .flags = PP_OPT_NOSAVE),
      PP_OPT_GROUP("examples:\n"
                   "  powerprune run --quick --out quick-out\n"
                   "  powerprune run --out demo-out                 (what 'make demo' runs)\n"
                   "  powerprune run --model resnet20 --data cifar10 --data-dir ~/cifar-10-batches-bin --out r20\n"
                   "  powerprune run --config r20/run.json --tolerance 2 --out r20-tol2 (the same run, one change)"),
      PP_OPT_END(),
  };
#undef POS_INT
  unsigned char seen[sizeof opts / sizeof opts[0]] = {0};
  int prc = pp_opt_parse_seen("run", USAGE, opts, argc, argv, NULL, seen);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  /* the file's options under the command line's; its strings live in cfg until the end */
  static pp_jv cfg;
  if (config && (prc = pp_opt_json_load("run", PP_CLI_RUN_FORMAT, opts, config, seen, &cfg))) return prc;
  o.model = pp_opt_choice_name(models, model);
  o.data = pp_opt_choice_name(datas, data);
  o.mult_arch = pp_opt_choice_name(pp_opt_mult_choices, mult);
  /* NULL (the library's default) stays NULL unless another value was asked for */
  if (o.adder_arch || adder != PP_MAC_ADDER_DEFAULT)
    o.adder_arch = pp_opt_choice_name(pp_opt_adder_choices, adder);
  if (o.select_method || method != choice_of(select_methods, NULL))
    o.select_method = pp_opt_choice_name(select_methods, method);
  /* inputs checked before any stage runs (issue 15): sizes, files */
  pp_err e;
  pp_err_clear(&e);
  const char *const inputs[][2] = {{"--lib", o.lib_file},         {"--mac", o.mac_file},
                                   {"--mult-netlist", o.mult_file}, {"--adder-netlist", o.adder_file},
                                   {"--model-file", o.model_file}};
  for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
    struct stat sb;
    if (!inputs[k][1]) continue;
    if (stat(inputs[k][1], &sb) != 0)
      return pp_cli_usage("run", "%s %s: %s", inputs[k][0], inputs[k][1], strerror(errno));
    if (!S_ISREG(sb.st_mode)) return pp_cli_usage("run", "%s %s: not a regular file", inputs[k][0], inputs[k][1]);
  }
  for (int k = -1; k < o.n_lib_at; k++) { /* a library that does not read (or is not physical) stops the run now */
    const char *path = k < 0 ? o.lib_file : o.lib_at_file[k];
    pp_lib *lib;
    if (!path) continue;
    if (pp_lib_read(path, &lib, &e)) return pp_cli_fail("run", &e);
    pp_lib_free(lib);
  }
  if (dry_run) {
    pp_json j;
    pp_json_init(&j, stdout, 1);
    pp_opt_json_write(&j, PP_CLI_RUN_FORMAT, opts);
    pp_json_end(&j);
    pp_jv_free(&cfg);
    return PP_EXIT_OK;
  }
  if (write_run_file(o.out_dir, opts, &e)) return pp_cli_fail("run", &e);
  static pp_report r;
  if (pp_flow_run(&o, &r, &e)) return pp_cli_fail("run", &e);
  char vf[64];
  pp_report_voltage_factor(&r, vf, sizeof vf);
  fprintf(stderr,
          "powerprune run: %s on %s: accuracy %.2f%% -> %.2f%%; Standard HW %.3f -> %.3f mW (-%.1f%%), "
          "Optimized HW %.3f -> %.3f mW (-%.1f%%); %d weights, %d activations, %.0f ps faster, %s V\n"
          "powerprune run: report in %s/report.html\n",
          r.network, r.dataset, r.acc_orig, r.acc_prop, r.std.orig_mw, r.std.prop_mw,
          pp_report_reduction_pct(r.std.orig_mw, r.std.prop_mw), r.opt.orig_mw, r.opt.prop_mw,
          pp_report_reduction_pct(r.opt.orig_mw, r.opt.prop_mw), r.n_weights, r.n_acts,
          r.max_delay_orig_ps - r.max_delay_prop_ps, vf, o.out_dir);
  {
    char st[4096];
    pp_report_stage_line(&r, st, sizeof st);
    fprintf(stderr, "powerprune run: %.1f s; stages: %s\n", r.seconds, st);
  }
  const pp_report_pann_point *p8 = pp_report_pann_find(&r.pann, "int8"), *pp = pp_report_pann_find(&r.pann, "powerpruning");
  if (p8 && pp)
    fprintf(stderr,
            "powerprune run: beside PANN (bit-flip models, sequential accumulation; fJ/MAC, not Table I's scale): "
            "int8 %.1f fJ/MAC at %.2f%%, PowerPruning %.1f fJ/MAC at %.2f%%; see %s/pann_compare.csv\n",
            p8->power_fj, p8->acc, pp->power_fj, pp->acc, o.out_dir);
  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_report_summary_json(&j, &r, o.out_dir);
    pp_json_end(&j);
  }
  pp_jv_free(&cfg);
  return PP_EXIT_OK;
}
