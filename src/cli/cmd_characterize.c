/* cli/cmd_characterize: `powerprune characterize`: the power table P[w] of the
 * MAC (module characterize), as CSV, JSON and the Fig. 2 plot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/characterize.h"
#include "pp/plot.h"

static const char *USAGE =
    "usage: powerprune characterize (--trace STATS | --uniform) -o DIR [options]\n"
    "\n"
    "Average power P[w] of the MAC for each weight value w: the weight input is held\n"
    "at w while T sampled (activation, partial sum) transitions are simulated with\n"
    "the timed gate-level engine; P[w] = mean energy per cycle / clock + leakage.\n"
    "\n";

int pp_cmd_characterize(int argc, char **argv) {
  const char *cmd = "characterize";
  const char *trace = NULL, *out_dir = NULL;
  int uniform = 0, json = 0, plot = 1, reservoir = 0, T = 10000, seed = 1;
  double clock_ps = 0;
  pp_char_mac_spec spec;
  pp_char_mac_spec_default(&spec);
  pp_opt opts[] = {
      PP_OPT_PATH("trace", &trace, "STATS",
                  "array statistics from 'powerprune trace': transitions are\n"
                  "drawn from its activation and partial-sum bin distributions"),
      PP_OPT_FLAG("reservoir", &reservoir,
                  "with --trace: draw joint (activation, partial sum) tuples\n"
                  "from the trace's reservoir; the default draws them\n"
                  "independently, as the paper does (make bench-check\n"
                  "compares both against gate-level simulation of real streams)"),
      PP_OPT_FLAG("uniform", &uniform, "uniform random activations and partial sums instead"),
      PP_OPT_INT("transitions", &T, 1, 100000000, "T", "number of sampled transitions"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "S", "sampling seed"),
      PP_OPT_DOUBLE("clock-ps", &clock_ps, 0, PP_OPT_INF, "X", "clock period", .flags = PP_OPT_LO_OPEN,
                    .def = "the MAC's critical path from STA"),
      PP_OPTS_CHAR_MAC(&spec),
      PP_OPT_PATH("out", &out_dir, "DIR", "writes DIR/power.csv, DIR/power.json, DIR/power.{svg,png}",
                  .short_name = 'o'),
      PP_OPT_BOOL("plot", &plot, "draw the plot"),
      PP_OPT_FLAG("json", &json, "print the power table as one JSON object on stdout"),
      PP_OPT_END(),
  };
  int ret = pp_opt_parse(cmd, USAGE, opts, argc, argv, NULL);
  if (ret) return ret == PP_OPT_HELP ? PP_EXIT_OK : ret;
  if (uniform == (trace != NULL)) return pp_cli_usage(cmd, "give exactly one of --trace STATS and --uniform");
  if (reservoir && !trace) return pp_cli_usage(cmd, "--reservoir needs --trace");
  pp_char_mac mac;
  ret = pp_cli_char_mac_open(cmd, &spec, out_dir, PP_CHAR_FULL, &mac);
  if (ret) return ret;
  pp_err e;
  pp_err_clear(&e);
  const pp_netlist *nl = mac.nl[0];
  int pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
  if (pa < 0 || pp < 0 || pp_netlist_find_input(nl, "w") < 0) {
    pp_err_set(&e, PP_EPARSE, mac.path[0], 0, "not a MAC netlist: needs input ports w, a and p");
    pp_char_mac_free(&mac);
    return pp_cli_fail(cmd, &e);
  }
  pp_char_tuple *tup = calloc((size_t)T, sizeof *tup);
  if (!tup) {
    pp_err_set(&e, PP_ENOMEM, NULL, 0, "out of memory for %d transitions", T);
    pp_char_mac_free(&mac);
    return pp_cli_fail(cmd, &e);
  }
  int rc = PP_OK;
  if (uniform) {
    pp_char_uniform_tuples(nl->inputs[pa].width, nl->inputs[pp].width, (size_t)T, (uint64_t)seed, tup);
  } else {
    pp_array_stats *st;
    if (!(rc = pp_array_stats_read(trace, &st, &e))) {
      if (st->psum_bits > nl->inputs[pp].width)
        rc = pp_err_set(&e, PP_EINVAL, trace, 0, "partial sums of %d bits (array %dx%d) do not fit the MAC's p[%d]",
                        st->psum_bits, st->size, st->size, nl->inputs[pp].width);
      if (!rc) rc = pp_char_trace_tuples(st, (size_t)T, (uint64_t)seed, reservoir, tup, &e);
      if (rc && !e.file[0]) snprintf(e.file, sizeof e.file, "%s", trace);
      pp_array_stats_free(st);
    }
  }
  if (!rc && clock_ps <= 0) {
    pp_sta *s;
    if (!(rc = pp_sta_run(mac.m[0], &s, &e))) {
      clock_ps = s->critical_ps;
      pp_sta_free(s);
      if (!(clock_ps > 0)) rc = pp_err_set(&e, PP_EINVAL, mac.path[0], 0, "STA found no path: give --clock-ps");
    }
  }
  pp_char_power p;
  if (!rc) rc = pp_char_power_run(mac.m[0], tup, (size_t)T, clock_ps, &p, &e);
  free(tup);
  if (!rc) {
    p.seed = (uint64_t)seed;
    p.uniform = uniform;
    snprintf(p.source, sizeof p.source, "%s%s", uniform ? "uniform" : trace, reservoir ? " (reservoir)" : "");
    snprintf(p.netlist, sizeof p.netlist, "%s", mac.desc[0]);
    snprintf(p.lib, sizeof p.lib, "%s", mac.lib->path ? mac.lib->path : "");
    p.input_slew_ps = spec.sim.input_slew_ps >= 0 ? spec.sim.input_slew_ps : mac.lib->default_slew_ps;
    p.output_load_ff = mac.lib->output_load_ff;
    p.wire_cap_ff = mac.lib->wire_cap_ff;
    p.wire_cap_per_fanout_ff = mac.lib->wire_cap_per_fanout_ff;
    snprintf(p.wire_load, sizeof p.wire_load, "%s", pp_lib_wire_load_name(mac.lib) ? pp_lib_wire_load_name(mac.lib) : "");
    p.inertial = spec.sim.inertial;
    char path[4200];
    snprintf(path, sizeof path, "%s/power.csv", out_dir);
    rc = pp_char_power_write_csv(&p, path, &e);
    snprintf(path, sizeof path, "%s/power.json", out_dir);
    if (!rc) rc = pp_char_power_write_json(&p, path, &e);
  }
  if (!rc && plot) {
    if (!pp_plot_available()) {
      fprintf(stderr, "powerprune %s: gnuplot not found, plot skipped\n", cmd);
    } else {
      double y[PP_CHAR_MAX_W];
      for (int i = 0; i < p.n_w; i++) y[i] = p.dyn_uw[i] + p.leak_uw;
      pp_plot_opts po;
      memset(&po, 0, sizeof po);
      po.title = "Average MAC power per weight value";
      po.xlabel = "weight value";
      po.ylabel = "power (uW)";
      char base[4200];
      snprintf(base, sizeof base, "%s/power", out_dir);
      pp_err pe;
      pp_err_clear(&pe);
      if (pp_plot_bars(base, &po, p.w_min, y, (size_t)p.n_w, &pe)) {
        char b[1200];
        fprintf(stderr, "powerprune %s: plot skipped: %s\n", cmd, pp_err_format(&pe, b, sizeof b));
      }
    }
  }
  if (rc) ret = pp_cli_fail(cmd, &e);
  else if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_char_power_json(&p, &j);
    pp_json_end(&j);
  } else {
    int wmax = pp_char_power_argmax_nonzero(&p), wmin = pp_char_power_argmin_nonzero(&p);
    printf("P[w] over %d weight values, %d transitions, clock %.1f ps, %.1f s\n", p.n_w, T, p.clock_ps, p.seconds);
    printf("  P[0] = %.2f uW; non-zero max P[%d] = %.2f uW, min P[%d] = %.2f uW (ratio %.3f); leakage %.3f uW\n",
           pp_char_power_total(&p, 0), wmax, pp_char_power_total(&p, wmax), wmin, pp_char_power_total(&p, wmin),
           pp_char_power_total(&p, wmax) / pp_char_power_total(&p, wmin), p.leak_uw);
    printf("wrote %s/power.csv, %s/power.json\n", out_dir, out_dir);
  }
  pp_char_mac_free(&mac);
  return ret;
}
