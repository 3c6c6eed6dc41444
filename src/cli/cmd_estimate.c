/* cli/cmd_estimate: `powerprune estimate`: network power on the array,
 * Standard and Optimized HW, before and after selection, with voltage scaling
 * (module estimate; the paper's Table I columns). */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/estimate.h"

static const char *USAGE =
    "usage: powerprune estimate --trace STATS --power FILE [options]\n"
    "\n"
    "Power of the MAC units of the array running a network: per-weight power P[w]\n"
    "weighted by each weight value's MAC count, plus leakage, on Standard HW (nothing\n"
    "gated) and Optimized HW (zero-weight MACs clock gated, unused columns power\n"
    "gated); original versus selected values, without and with voltage scaling.\n"
    "\n";

static const char *CHECK_USAGE =
    "\n"
    "Check mode (the table-based estimate against gate-level simulation of one layer):\n"
    "  powerprune estimate --check-model MODEL --check-data NAME [options]\n"
    "\n";

static const pp_opt_choice idles[] = {
    {"hold", PP_EST_IDLE_HOLD}, {"zero-weight", PP_EST_IDLE_ZERO_WEIGHT}, {NULL, 0}};

typedef struct {
  const char *want;   /* layer name, NULL: the largest */
  pp_nn_qgemm g;      /* deep copy of the chosen product */
  int8_t *w;
  uint8_t *x;
  int err;
} check_ctx;

static int check_hook(const pp_nn_qgemm *g, void *vctx) {
  check_ctx *c = vctx;
  if (g->groups != 1 || g->N < 2) return 0;
  if (c->want ? strcmp(g->name, c->want) != 0
              : (c->w && (double)g->M * g->K * g->N <= (double)c->g.M * c->g.K * c->g.N))
    return 0;
  free(c->w);
  free(c->x);
  c->w = malloc((size_t)g->M * g->K);
  c->x = malloc((size_t)g->K * g->N);
  if (!c->w || !c->x) return c->err = 1;
  memcpy(c->w, g->w, (size_t)g->M * g->K);
  memcpy(c->x, g->x, (size_t)g->K * g->N);
  c->g = *g;
  c->g.w = c->w;
  c->g.x = c->x;
  c->g.acc = NULL;
  static char name[64];
  snprintf(name, sizeof name, "%s", g->name ? g->name : "?");
  c->g.name = name;
  return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)sb, (void)type, (void)ftw;
  return remove(path);
}

/* rm -rf without a shell: children before their directory, links not followed. */
static int remove_tree(const char *dir) { return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* The check mode; with help_only, prints its part of --help instead. */
static int run_check(int argc, char **argv, int help_only) {
  const char *cmd = "estimate";
  const char *model = NULL, *data = NULL, *dir = NULL, *layer = NULL, *out_dir = NULL;
  int image = 0, pes = 64, T = 10000, seed = 1, json = 0;
  pp_char_mac_spec spec;
  pp_char_mac_spec_default(&spec);
  pp_opt opts[] = {
      PP_OPT_PATH("check-model", &model, "MODEL", "the saved model whose layer is checked"),
      PP_OPT_STRING("check-data", &data, "NAME", "data set as 'powerprune train' takes it (fashion-mnist, ...)"),
      PP_OPT_PATH("check-dir", &dir, "DIR", "where its files are"),
      PP_OPT_STRING("check-layer", &layer, "NAME", "layer to check", .def = "the one with the most MACs"),
      PP_OPT_INT("check-image", &image, 0, 100000000, "I", "test image streamed"),
      PP_OPT_INT("check-pes", &pes, 1, PP_EST_CHECK_MAX_PES, "N", "PEs sampled"),
      PP_OPT_INT("check-transitions", &T, 1, 100000000, "T", "transitions sampled for P[w]"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "S", "seed of both samples"),
      PP_OPTS_CHAR_MAC(&spec),
      PP_OPT_PATH("out", &out_dir, "DIR", "writes the check's result there", .short_name = 'o'),
      PP_OPT_FLAG("json", &json, "print the result as one JSON object"),
      PP_OPT_END(),
  };
  if (help_only) {
    pp_opt_help(stdout, CHECK_USAGE, opts);
    return PP_EXIT_OK;
  }
  int prc = pp_opt_parse(cmd, NULL, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (!model || !data) return pp_cli_usage(cmd, "--check-model and --check-data go together");
  if (!out_dir && !json) return pp_cli_usage(cmd, "give --out DIR and/or --json");
  pp_err e;
  pp_err_clear(&e);
  char tmpdir[] = "/tmp/pp_check_XXXXXX";
  if (!mkdtemp(tmpdir)) {
    pp_err_set(&e, PP_EIO, tmpdir, 0, "cannot create a temporary directory");
    return pp_cli_fail(cmd, &e);
  }
  spec.work_dir = out_dir ? out_dir : tmpdir;
  if (out_dir && pp_mkdirs(out_dir, &e)) return pp_cli_fail(cmd, &e);
  pp_nn_model *m = NULL;
  pp_nn_qmodel *q = NULL;
  pp_nn_data tr, te;
  memset(&tr, 0, sizeof tr);
  memset(&te, 0, sizeof te);
  check_ctx cc;
  memset(&cc, 0, sizeof cc);
  cc.want = layer;
  pp_char_mac mac;
  memset(&mac, 0, sizeof mac);
  pp_est_check c;
  int rc = pp_nn_model_load(model, &m, &e);
  if (!rc) rc = pp_nn_qmodel_build(m, &q, &e);
  if (!rc) rc = pp_nn_data_load(data, dir, &tr, &te, &e);
  if (!rc && image >= te.n) rc = pp_err_set(&e, PP_EINVAL, NULL, 0, "--check-image %d: the test set has %d images", image, te.n);
  if (!rc) rc = pp_nn_qrun(q, &te, image, 1, check_hook, &cc, NULL, NULL, NULL, &e);
  if (!rc && cc.err) rc = pp_err_set(&e, PP_ENOMEM, NULL, 0, "out of memory");
  if (!rc && !cc.w)
    rc = pp_err_set(&e, PP_EINVAL, model, 0, layer ? "no ungrouped layer named '%s'" : "no ungrouped layer%s", layer ? layer : "");
  if (!rc) rc = pp_char_mac_load(&spec, PP_CHAR_FULL, &mac, &e);
  if (!rc) {
    pp_est_check_opts o;
    pp_est_check_opts_default(&o);
    o.n_pes = pes;
    o.transitions = T;
    o.seed = (uint64_t)seed;
    rc = pp_est_check_layer(&cc.g, mac.m[0], &o, &c, NULL, &e);
  }
  int ret = PP_EXIT_OK;
  if (rc) ret = pp_cli_fail(cmd, &e);
  else {
    for (int pass = 0; pass < 2; pass++) {
      pp_outfile of;
      FILE *f = stdout;
      if (pass == 0) {
        if (!out_dir) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/check.json", out_dir);
        if (pp_outfile_open(&of, path, &e)) {
          ret = pp_cli_fail(cmd, &e);
          break;
        }
        f = of.f;
      } else if (!json) break;
      pp_json j;
      pp_json_init(&j, f, pass == 0);
      pp_json_obj_begin(&j);
      pp_json_key_str(&j, "format", "powerprune-estimate-check/1");
      pp_json_key_str(&j, "model", model);
      pp_json_key_str(&j, "data", data);
      pp_json_key_int(&j, "image", image);
      pp_json_key_str(&j, "layer", cc.g.name);
      pp_json_key_int(&j, "M", cc.g.M);
      pp_json_key_int(&j, "K", cc.g.K);
      pp_json_key_int(&j, "N", cc.g.N);
      pp_json_key_int(&j, "pes", c.n_pes);
      pp_json_key_int(&j, "transitions_simulated", c.transitions);
      pp_json_key_int(&j, "transitions_sampled", T);
      pp_json_key_int(&j, "seed", seed);
      pp_json_key_num(&j, "gate_level_pj", c.sim_fj / 1000);
      pp_json_key_num(&j, "table_pj", c.table_fj / 1000);
      pp_json_key_num(&j, "error", c.error);
      pp_json_obj_end(&j);
      pp_json_end(&j);
      if (pass == 0 && pp_outfile_commit(&of, &e)) {
        ret = pp_cli_fail(cmd, &e);
        break;
      }
    }
    if (!json && ret == PP_EXIT_OK)
      printf("layer %s (M=%d K=%d N=%d), %d PEs, %ld transitions: gate level %.1f pJ, table %.1f pJ, error %+.2f%%\n",
             cc.g.name, cc.g.M, cc.g.K, cc.g.N, c.n_pes, c.transitions, c.sim_fj / 1000, c.table_fj / 1000,
             100 * c.error);
  }
  pp_char_mac_free(&mac);
  free(cc.w);
  free(cc.x);
  pp_nn_data_free(&tr);
  pp_nn_data_free(&te);
  if (q) pp_nn_qmodel_free(q);
  if (m) pp_nn_model_free(m);
  if (remove_tree(tmpdir)) fprintf(stderr, "powerprune %s: could not remove %s\n", cmd, tmpdir);
  return ret;
}

static int load_usage(const char *path, int idle, pp_est_usage *u, pp_err *e) {
  pp_array_stats *s;
  int rc = pp_array_stats_read(path, &s, e);
  if (rc) return rc;
  rc = pp_est_usage_from_layers(s, u, e);
  pp_array_stats_free(s);
  if (rc && e && !e->file[0]) snprintf(e->file, sizeof e->file, "%s", path);
  u->idle_mode = idle;
  return rc;
}

static void write_json(pp_json *j, const pp_est_compare *c, const pp_est_vmodel *m, const char **inputs,
                       const char **names, int n_inputs, int n_w, int n_a, const char *idle) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", "powerprune-estimate/1");
  pp_json_key_obj_begin(j, "inputs");
  for (int i = 0; i < n_inputs; i++) {
    pp_json_key(j, names[i]);
    if (inputs[i]) pp_json_str(j, inputs[i]);
    else pp_json_null(j);
  }
  pp_json_obj_end(j);
  pp_json_key_str(j, "idle", idle);
  pp_json_key_int(j, "n_weights", n_w);
  pp_json_key_int(j, "n_acts", n_a);
  pp_json_key(j, "result");
  pp_est_compare_json(c, m, j);
  pp_json_obj_end(j);
}

int pp_cmd_estimate(int argc, char **argv) {
  const char *cmd = "estimate";
  const char *trace = NULL, *trace_sel = NULL, *power = NULL, *aw = NULL, *aa = NULL, *delay = NULL, *out_dir = NULL;
  double d_orig = 0, d_sel = 0;
  int json = 0, idle = PP_EST_IDLE_HOLD;
  pp_est_vmodel vm;
  pp_est_vmodel_default(&vm);
  double v_nom = -1; /* not given: the library's voltage, else vm's */
  pp_opt opts[] = {
      PP_OPT_PATH("trace", &trace, "STATS", "array statistics of the original network (powerprune trace)"),
      PP_OPT_PATH("power", &power, "FILE", "power table (powerprune characterize)"),
      PP_OPT_PATH("trace-selected", &trace_sel, "STATS", "statistics of the retrained, restricted network",
                  .def = "the original's, weights moved to the nearest allowed value"),
      PP_OPT_PATH("allowed-weights", &aw, "F", "allowed weight values (powerprune select)"),
      PP_OPT_PATH("allowed-acts", &aa, "F", "allowed activation values"),
      PP_OPT_PATH("delay", &delay, "FILE",
                  "delay table (powerprune timing): the original max delay is\n"
                  "the table's, the selected one over the allowed values"),
      PP_OPT_DOUBLE("delay-orig-ps", &d_orig, 0, PP_OPT_INF, "X", "the original max delay, given directly",
                    .flags = PP_OPT_LO_OPEN | PP_OPT_NODEF),
      PP_OPT_DOUBLE("delay-sel-ps", &d_sel, 0, PP_OPT_INF, "Y", "the selected max delay, given directly",
                    .flags = PP_OPT_LO_OPEN | PP_OPT_NODEF),
      PP_OPT_ENUM("idle", &idle, idles, "what an idle PE costs on Standard HW (see include/pp/estimate.h)"),
      PP_OPT_GROUP("Voltage model:"),
      PP_OPT_DOUBLE("v-nom", &v_nom, 0, PP_OPT_INF, "V", "nominal supply", .flags = PP_OPT_LO_OPEN,
                    .def = "the library's voltage, else 0.8"),
      PP_OPT_DOUBLE("vth", &vm.vth, 0, PP_OPT_INF, "V", "threshold voltage"),
      PP_OPT_DOUBLE("alpha", &vm.alpha, 0, PP_OPT_INF, "A", "alpha-power law exponent"),
      PP_OPT_DOUBLE("leak-k", &vm.leak_k, -PP_OPT_INF, PP_OPT_INF, "K", "leakage growth per volt (1/V)"),
      PP_OPT_DOUBLE("v-step", &vm.v_step, 0, PP_OPT_INF, "S", "round the scaled voltage up to this grid (0: exact)"),
      PP_OPT_GROUP("Output:"),
      PP_OPT_PATH("out", &out_dir, "DIR", "writes DIR/estimate.json and DIR/estimate.csv", .short_name = 'o'),
      PP_OPT_FLAG("json", &json, "print the result as one JSON object"),
      PP_OPT_END(),
  };
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { /* both modes' help */
      pp_opt_help(stdout, USAGE, opts);
      return run_check(argc, argv, 1);
    }
  for (int i = 1; i < argc; i++)
    if (!strncmp(argv[i], "--check-model", 13)) return run_check(argc, argv, 0);
  int prc = pp_opt_parse(cmd, USAGE, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  int v_nom_given = v_nom > 0;
  if (v_nom_given) vm.v_nom = v_nom;
  if (!trace || !*trace) return pp_cli_usage(cmd, "--trace STATS is required");
  if (!power || !*power) return pp_cli_usage(cmd, "--power FILE is required");
  if ((d_orig > 0) != (d_sel > 0)) return pp_cli_usage(cmd, "--delay-orig-ps and --delay-sel-ps go together");
  if (delay && d_orig > 0) return pp_cli_usage(cmd, "give --delay FILE or the two delays, not both");
  if (!out_dir && !json) return pp_cli_usage(cmd, "give --out DIR and/or --json");

  pp_err e;
  pp_err_clear(&e);
  pp_char_power p;
  if (pp_char_power_read(power, &p, &e)) return pp_cli_fail(cmd, &e);
  if (!v_nom_given && p.voltage > 0) vm.v_nom = p.voltage;
  if (!(vm.v_nom > vm.vth)) return pp_cli_usage(cmd, "the voltage model needs v_nom > vth");
  pp_est_usage u0, u1;
  if (load_usage(trace, idle, &u0, &e)) return pp_cli_fail(cmd, &e);
  if (trace_sel) {
    if (load_usage(trace_sel, idle, &u1, &e)) return pp_cli_fail(cmd, &e);
  } else u1 = u0;
  pp_select_sets sets;
  pp_select_sets_all(&sets, -127, 255, 256);
  if (aw) {
    int n;
    if (pp_select_read_values(aw, -127, 127, sets.w_keep, &n, &e)) return pp_cli_fail(cmd, &e);
    sets.w_keep[127] = 1; /* zero is always allowed */
    pp_est_usage r;
    if (pp_est_usage_restrict(&u1, sets.w_keep, &r, &e)) return pp_cli_fail(cmd, &e);
    u1 = r;
  }
  if (aa) {
    int n;
    if (pp_select_read_values(aa, 0, 255, sets.a_keep, &n, &e)) return pp_cli_fail(cmd, &e);
    sets.a_keep[0] = 1;
  }
  if (delay) {
    pp_char_delay t;
    if (pp_char_delay_read(delay, &t, &e)) return pp_cli_fail(cmd, &e);
    if (t.w_min != -127 || t.n_w != 255 || t.n_a != 256) {
      pp_char_delay_free(&t);
      pp_err_set(&e, PP_EPARSE, delay, 0, "expected the 8-bit table (255 weights x 256 x 256)");
      return pp_cli_fail(cmd, &e);
    }
    pp_select_sets all;
    pp_select_sets_all(&all, -127, 255, 256);
    d_orig = pp_select_max_delay(&t, &all);
    d_sel = pp_select_max_delay(&t, &sets);
    pp_char_delay_free(&t);
  } else if (d_orig <= 0) {
    d_orig = d_sel = 1; /* no delay information: no voltage scaling */
  }
  pp_est_compare c;
  if (pp_est_compare_run(&u0, &u1, &p, d_orig, d_sel, &vm, &c, &e)) return pp_cli_fail(cmd, &e);
  const char *inputs[] = {trace, trace_sel, power, aw, aa, delay};
  const char *names[] = {"trace", "trace_selected", "power", "allowed_weights", "allowed_acts", "delay"};
  int n_w = pp_select_count_w(&sets), n_a = pp_select_count_a(&sets);
  const char *idle_name = idle == PP_EST_IDLE_HOLD ? "hold" : "zero-weight";
  if (out_dir) {
    if (pp_mkdirs(out_dir, &e)) return pp_cli_fail(cmd, &e);
    char path[4200];
    pp_outfile o;
    snprintf(path, sizeof path, "%s/estimate.json", out_dir);
    if (pp_outfile_open(&o, path, &e)) return pp_cli_fail(cmd, &e);
    pp_json j;
    pp_json_init(&j, o.f, 1);
    write_json(&j, &c, &vm, inputs, names, 6, n_w, n_a, idle_name);
    pp_json_end(&j);
    if (pp_outfile_commit(&o, &e)) return pp_cli_fail(cmd, &e);
    /* Table I's power columns as one CSV row, each named by the path of the same number in estimate.json */
    snprintf(path, sizeof path, "%s/estimate.csv", out_dir);
    if (pp_outfile_open(&o, path, &e)) return pp_cli_fail(cmd, &e);
    fprintf(o.f, "result.original.standard_hw.total_mw,result.selected_scaled.standard_hw.total_mw,"
                 "result.reduction_standard_hw,result.original.optimized_hw.total_mw,"
                 "result.selected_scaled.optimized_hw.total_mw,result.reduction_optimized_hw,n_weights,n_acts,"
                 "result.max_delay_reduction_ps,result.voltage_factor,result.v_shw,result.v_ohw\n");
    fprintf(o.f, "%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%d,%d,%.10g,%.10g,%.10g,%.10g\n", c.orig.shw.total_uw / 1000,
            c.sel_scaled.shw.total_uw / 1000, c.red_shw, c.orig.ohw.total_uw / 1000, c.sel_scaled.ohw.total_uw / 1000,
            c.red_ohw, n_w, n_a, c.d_orig_ps - c.d_sel_ps, c.v_scaled / vm.v_nom, c.v_share_shw, c.v_share_ohw);
    if (pp_outfile_commit(&o, &e)) return pp_cli_fail(cmd, &e);
  }
  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    write_json(&j, &c, &vm, inputs, names, 6, n_w, n_a, idle_name);
    pp_json_end(&j);
  } else {
    printf("                 Standard HW           Optimized HW\n");
    printf("original         %10.3f mW         %10.3f mW\n", c.orig.shw.total_uw / 1000, c.orig.ohw.total_uw / 1000);
    printf("selected         %10.3f mW (%5.1f%%) %10.3f mW (%5.1f%%)\n", c.sel.shw.total_uw / 1000,
           100 * c.red_shw_noscale, c.sel.ohw.total_uw / 1000, 100 * c.red_ohw_noscale);
    printf("selected, %.3f V %10.3f mW (%5.1f%%) %10.3f mW (%5.1f%%)\n", c.v_scaled, c.sel_scaled.shw.total_uw / 1000,
           100 * c.red_shw, c.sel_scaled.ohw.total_uw / 1000, 100 * c.red_ohw);
    printf("max delay %.0f -> %.0f ps; voltage %.3f/%.3f; share from voltage scaling: %.1f%% (SHW), %.1f%% (OHW)\n",
           c.d_orig_ps, c.d_sel_ps, c.v_scaled, vm.v_nom, 100 * c.v_share_shw, 100 * c.v_share_ohw);
  }
  return PP_EXIT_OK;
}
