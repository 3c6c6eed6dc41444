/* cli/cmd_run: `powerprune run`, the whole PowerPruning flow with its report,
 * resumable in its output folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "pp/array.h"
#include "pp/flow.h"
#include "pp/netlist.h"

static void help(FILE *f) {
  fprintf(f,
          "usage: powerprune run [options]\n"
          "\n"
          "The whole PowerPruning flow: train (or --model-file) -> int8 QAT -> magnitude pruning ->\n"
          "trace on the array -> power and timing of the MAC per weight value -> lower the power\n"
          "threshold while the accuracy holds -> lower the delay threshold in 10 ps steps until it\n"
          "drops by the tolerance -> power on Standard and Optimized HW with voltage scaling -> report\n"
          "(OUT/summary.json, OUT/table.csv, OUT/report.html and figures).\n"
          "Each finished stage is a file in OUT/stages/; running again skips finished stages, so an\n"
          "interrupted run resumes; a changed option redoes that stage and the ones after it.\n"
          "\n"
          "  --out DIR             output folder (default: powerprune-out)\n"
          "  --model NAME          lenet5 (default), resnet20, dwnet\n"
          "  --data NAME           fashion-mnist (default), cifar10, synthetic\n"
          "  --data-dir DIR        where the data set's files are (fashion-mnist: the Debian package's)\n"
          "  --model-file FILE     start from this trained float model instead of training\n"
          "  --mac FILE            MAC netlist (structural Verilog; default: the built-in MAC)\n"
          "  --mult-netlist FILE   its multiplier alone (ports w, a -> prod), for timing; with --mac\n"
          "  --adder-netlist FILE  its adder alone (ports prod, p -> y), for timing; with --mac\n"
          "  --lib FILE            Liberty cell library (default: the built-in library)\n"
          "  --mult array|booth    built-in MAC's multiplier (default booth)\n"
          "  --adder ripple|prefix built-in MAC's partial-sum adder (default ripple)\n"
          "  --quick               fewer epochs, images and transitions (a smoke test)\n"
          "  --seed S              seed of every random choice (default 1)\n"
          "  --tolerance PTS       accuracy points the delay phase may lose (default 1.5)\n"
          "  --power-tolerance PTS accuracy points the power phase may lose (default 1.0)\n"
          "  --sparsity auto|F     conventional pruning: auto (default) picks the highest sparsity of\n"
          "                        the model's grid whose decision accuracy loses at most half of\n"
          "                        --tolerance; F: this fraction of zero weights\n"
          "  --val-images N        decision images held out of the training file (default 5000;\n"
          "                        quick 1000): every choice reads them, the test set only the report\n"
          "  --refine N            bisection retrains per phase after a failed step (default 3; quick 2)\n"
          "  --delay-starts N      run the delay phase from the kept power step and N-1 earlier ladder steps,\n"
          "                        keep the lowest estimated Optimized-HW power (0..8, default 3; 1: the paper's way)\n"
          "  --candidates N        delay sets per threshold ranked by proxy accuracy (default 6)\n"
          "  --prune-global        one magnitude threshold over all layers (default: each layer)\n"
          "  --epochs N            float training epochs (default 10; resnet20/dwnet 30; quick 2)\n"
          "  --qat-epochs N        int8 QAT and post-pruning fine-tuning epochs (default 2; quick 1)\n"
          "  --retrain-epochs N    epochs per threshold step (default 1)\n"
          "  --train-images N      use the first N training images (default all; quick 6000)\n"
          "  --test-images N       use the first N test images (default all; quick 2000)\n"
          "  --trace-images N      images run on the array (default 100; quick 4)\n"
          "  --transitions N       sampled transitions per weight value (default 10000; quick 500)\n"
          "  --array N             N x N systolic array (default 64)\n"
          "  --repeats R           delay selection repeats (default 20; quick 4)\n"
          "  --select-method M     delay selection: search (default), greedy, or random (the paper's\n"
          "                        random member removal); see 'powerprune select --help'\n"
          "  --delay-step PS       delay threshold step (default 10)\n"
          "  --tick-ps PS          time step of the timing simulation (default 1; quick 4)\n"
          "  --power-counts LIST   weight values each power-threshold step keeps, e.g. 128,64,32\n"
          "                        (default 192,128,96,64,48,32,24,16; quick 96,32)\n"
          "  --power-steps N       instead: N equal steps in uW over the range of P[w]\n"
          "  --no-pann             skip the comparison with PANN and plain low-bit quantization\n"
          "                        (stage 21-pann: bit-flip power models fitted to the gate-level\n"
          "                        simulator, cached; table, plot, pann_compare.csv)\n"
          "  --pann-samples N      transitions per MAC part when fitting those models (default 3000;\n"
          "                        quick 400)\n"
          "  --force               redo every stage\n"
          "  --cache DIR           reuse trained float models, delay tables and power models (default:\n"
          "                        $PP_CACHE_DIR, else $XDG_CACHE_HOME/powerprune, else ~/.cache/powerprune)\n"
          "  --no-cache            neither read nor write the cache\n"
          "  --json                print the result as one JSON object on stdout (Table I's numbers\n"
          "                        in mW, delays, voltages, counts, the file paths; format\n"
          "                        " PP_REPORT_RESULT_FORMAT ")\n"
          "  -h, --help            this text\n"
          "\n"
          "examples:\n"
          "  powerprune run --quick --out quick-out\n"
          "  powerprune run --out demo-out                 (what 'make demo' runs)\n"
          "  powerprune run --model resnet20 --data cifar10 --data-dir ~/cifar-10-batches-bin --out r20\n");
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
  int json = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      help(stdout);
      return PP_EXIT_OK;
    }
    if (!strcmp(a, "--quick")) {
      o.quick = 1;
      continue;
    }
    if (!strcmp(a, "--force")) {
      o.force = 1;
      continue;
    }
    if (!strcmp(a, "--prune-global")) {
      o.prune_global = 1;
      continue;
    }
    if (!strcmp(a, "--no-pann")) {
      o.no_pann = 1;
      continue;
    }
    if (!strcmp(a, "--no-cache")) {
      o.no_cache = 1;
      continue;
    }
    if (!strcmp(a, "--json")) {
      json = 1;
      continue;
    }
    if (i + 1 >= argc || a[0] != '-') return pp_cli_usage("run", "unknown argument or missing value: '%s'", a);
    const char *v = argv[++i];
    long n;
    double d;
    /* string options */
    if (!strcmp(a, "--out")) o.out_dir = v;
    else if (!strcmp(a, "--model")) {
      if (strcmp(v, "lenet5") && strcmp(v, "resnet20") && strcmp(v, "dwnet"))
        return pp_cli_usage("run", "--model %s: expected lenet5, resnet20 or dwnet", v);
      o.model = v;
    } else if (!strcmp(a, "--data")) {
      if (strcmp(v, "fashion-mnist") && strcmp(v, "cifar10") && strcmp(v, "synthetic") && strcmp(v, "mnist") &&
          strcmp(v, "cifar100"))
        return pp_cli_usage("run", "--data %s: expected fashion-mnist, cifar10 or synthetic", v);
      o.data = v;
    } else if (!strcmp(a, "--data-dir")) o.data_dir = v;
    else if (!strcmp(a, "--cache")) o.cache_dir = v;
    else if (!strcmp(a, "--select-method")) {
      if (strcmp(v, "search") && strcmp(v, "greedy") && strcmp(v, "random"))
        return pp_cli_usage("run", "--select-method %s: expected search, greedy or random", v);
      o.select_method = v;
    }
    else if (!strcmp(a, "--power-counts")) {
      int k = 0;
      for (const char *q = v; *q;) {
        char *end;
        long c = strtol(q, &end, 10);
        if (end == q || c < 1 || c > 255 || k >= 31)
          return pp_cli_usage("run", "--power-counts %s: expected up to 31 counts in 1..255, comma separated", v);
        o.power_counts[k++] = (int)c;
        q = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return pp_cli_usage("run", "--power-counts %s: expected numbers separated by commas", v);
      }
      o.power_counts[k] = 0;
    }
    else if (!strcmp(a, "--model-file")) o.model_file = v;
    else if (!strcmp(a, "--mac")) o.mac_file = v;
    else if (!strcmp(a, "--mult-netlist")) o.mult_file = v;
    else if (!strcmp(a, "--adder-netlist")) o.adder_file = v;
    else if (!strcmp(a, "--lib")) o.lib_file = v;
    else if (!strcmp(a, "--mult")) {
      if (strcmp(v, "array") && strcmp(v, "booth")) return pp_cli_usage("run", "--mult %s: expected array or booth", v);
      o.mult_arch = v;
    } else if (!strcmp(a, "--adder")) {
      if (strcmp(v, "ripple") && strcmp(v, "prefix"))
        return pp_cli_usage("run", "--adder %s: expected ripple or prefix", v);
      o.adder_arch = v;
    }
    /* numbers */
    else if (!strcmp(a, "--seed")) {
      char *end;
      unsigned long long s = strtoull(v, &end, 10);
      if (!*v || *end) return pp_cli_usage("run", "--seed %s: expected a non-negative integer", v);
      o.seed = s;
    } else if (!strcmp(a, "--sparsity") && !strcmp(v, "auto")) {
      o.sparsity_auto = 1;
    } else if (!strcmp(a, "--delay-starts")) {
      if (pp_cli_parse_long(v, 0, 8, &n)) return pp_cli_usage("run", "--delay-starts %s: expected an integer in 0..8", v);
      o.delay_starts = (int)n;
    } else if (!strcmp(a, "--refine")) {
      if (pp_cli_parse_long(v, 0, 64, &n)) return pp_cli_usage("run", "--refine %s: expected an integer in 0..64", v);
      o.refine_retrains = (int)n;
    } else if (!strcmp(a, "--tolerance") || !strcmp(a, "--power-tolerance") || !strcmp(a, "--sparsity") ||
               !strcmp(a, "--delay-step") || !strcmp(a, "--tick-ps")) {
      if (pp_cli_parse_double(v, &d) || !(d >= 0)) return pp_cli_usage("run", "%s %s: expected a number >= 0", a, v);
      if ((!strcmp(a, "--delay-step") || !strcmp(a, "--tick-ps")) && !(d > 0))
        return pp_cli_usage("run", "%s %s: expected a number of ps > 0 (leave the option out for the default)", a, v);
      if (!strcmp(a, "--tolerance")) o.tolerance = d;
      else if (!strcmp(a, "--power-tolerance")) o.power_tolerance = d;
      else if (!strcmp(a, "--delay-step")) o.delay_step_ps = d;
      else if (!strcmp(a, "--tick-ps")) o.tick_ps = d;
      else {
        if (d >= 1) return pp_cli_usage("run", "--sparsity %s: expected a fraction in [0, 1)", v);
        o.sparsity = d;
        o.sparsity_auto = 0;
      }
    } else {
      int *dst = !strcmp(a, "--epochs")           ? &o.epochs
                 : !strcmp(a, "--qat-epochs")     ? &o.qat_epochs
                 : !strcmp(a, "--retrain-epochs") ? &o.retrain_epochs
                 : !strcmp(a, "--train-images")   ? &o.train_images
                 : !strcmp(a, "--test-images")    ? &o.test_images
                 : !strcmp(a, "--trace-images")   ? &o.trace_images
                 : !strcmp(a, "--transitions")    ? &o.transitions
                 : !strcmp(a, "--array")          ? &o.array
                 : !strcmp(a, "--repeats")        ? &o.repeats
                 : !strcmp(a, "--power-steps")    ? &o.power_divisions
                 : !strcmp(a, "--pann-samples")   ? &o.pann_samples
                 : !strcmp(a, "--val-images")     ? &o.val_images
                 : !strcmp(a, "--candidates")     ? &o.candidates
                                                  : NULL;
      if (!dst) return pp_cli_usage("run", "unknown option '%s'", a);
      if (pp_cli_parse_long(v, 1, 100000000, &n)) return pp_cli_usage("run", "%s %s: expected a positive integer", a, v);
      *dst = (int)n;
    }
  }
  /* inputs checked before any stage runs (issue 15): sizes, files */
  if (o.array > PP_ARRAY_MAX_SIZE)
    return pp_cli_usage("run", "--array %d: expected 1..%d PEs per side", o.array, PP_ARRAY_MAX_SIZE);
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
  if (o.lib_file) { /* a library that does not read (or is not physical) stops the run now, not after training */
    pp_lib *lib;
    if (pp_lib_read(o.lib_file, &lib, &e)) return pp_cli_fail("run", &e);
    pp_lib_free(lib);
  }
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
  return PP_EXIT_OK;
}
