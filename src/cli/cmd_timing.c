/* cli/cmd_timing: `powerprune timing`: the delay table D[w][a_from][a_to] of
 * the MAC (module characterize), per-weight maxima, histograms (Fig. 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/characterize.h"
#include "pp/plot.h"

static const char *USAGE =
    "usage: powerprune timing -o DIR [options]\n"
    "\n"
    "Delay of the MAC for every weight value and every activation transition a->a':\n"
    "the multiplier is simulated (time-stepped, glitch-accurate) for all transitions,\n"
    "each product bit's settle time t_i is added to the adder's static delay d_i from\n"
    "that bit, and D = max(max_i(t_i + d_i), d_psum) (PowerPruning Fig. 5).\n"
    "\n";

static void summary_json(pp_json *j, const pp_char_delay *t, const pp_char_mac *mac, const pp_sim_opts *so) {
  double tick = so->tick_ps;
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", "powerprune-timing/1");
  pp_cli_assumptions_json(j, mac->lib, so);
  pp_json_key_obj_begin(j, "inputs");
  pp_json_key_str(j, "mult", mac->desc[1]);
  pp_json_key_str(j, "adder", mac->desc[2]);
  pp_json_key_str(j, "full", mac->desc[0]);
  pp_json_key_str(j, "lib", mac->lib->path ? mac->lib->path : "");
  pp_json_obj_end(j);
  pp_json_key_obj_begin(j, "options");
  pp_json_key_num(j, "tick_ps", tick);
  pp_json_obj_end(j);
  pp_json_key_str(j, "table", "delay.bin");
  pp_json_key_num(j, "sta_mult_ps", t->sta_mult_ps);
  pp_json_key_num(j, "sta_adder_prod_max_ps", t->sta_adder_max_ps);
  pp_json_key_int(j, "d_psum_ps", t->d_psum_ps);
  pp_json_key_num(j, "sta_mac_ps", t->sta_mac_ps);
  unsigned mx = 0, mn = 65535;
  int wmx = 0, wmn = 0;
  for (int i = 0; i < t->n_w; i++) {
    int w = t->w_min + i;
    unsigned m = pp_char_delay_max_w(t, w);
    if (m > mx) mx = m, wmx = w;
    if (w != 0 && m < mn) mn = m, wmn = w;
  }
  pp_json_key_int(j, "max_delay_ps", mx);
  pp_json_key_int(j, "max_delay_weight", wmx);
  pp_json_key_int(j, "smallest_max_delay_nonzero_ps", mn);
  pp_json_key_int(j, "smallest_max_delay_weight", wmn);
  pp_json_key_num(j, "seconds", t->seconds);
  pp_json_key_obj_begin(j, "max_delay_ps_per_weight");
  for (int i = 0; i < t->n_w; i++) {
    char k[16];
    snprintf(k, sizeof k, "%d", t->w_min + i);
    pp_json_key(j, k);
    pp_json_int(j, pp_char_delay_max_w(t, t->w_min + i));
  }
  pp_json_obj_end(j);
  pp_json_obj_end(j);
}

static int write_csvs(const pp_char_delay *t, const char *dir, pp_err *e) {
  char path[4200];
  pp_outfile o;
  snprintf(path, sizeof path, "%s/delay_max.csv", dir);
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  fprintf(o.f, "weight,max_delay_ps\n");
  for (int i = 0; i < t->n_w; i++) fprintf(o.f, "%d,%u\n", t->w_min + i, pp_char_delay_max_w(t, t->w_min + i));
  if ((rc = pp_outfile_commit(&o, e))) return rc;
  snprintf(path, sizeof path, "%s/delay_hist.csv", dir);
  if ((rc = pp_outfile_open(&o, path, e))) return rc;
  fprintf(o.f, "weight,delay_ps,count\n");
  uint32_t *h = calloc(65536, sizeof *h);
  if (!h) {
    pp_outfile_abort(&o);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  size_t per = (size_t)t->n_a * t->n_a;
  for (int i = 0; i < t->n_w; i++) {
    memset(h, 0, 65536 * sizeof *h);
    const uint16_t *d = t->d + (size_t)i * per;
    for (size_t k = 0; k < per; k++) h[d[k]]++;
    for (int v = 0; v < 65536; v++)
      if (h[v]) fprintf(o.f, "%d,%d,%u\n", t->w_min + i, v, h[v]);
  }
  free(h);
  return pp_outfile_commit(&o, e);
}

static void plots(const pp_char_delay *t, const char *dir, const char *cmd) {
  if (!pp_plot_available()) {
    fprintf(stderr, "powerprune %s: gnuplot not found, plots skipped\n", cmd);
    return;
  }
  pp_err e;
  pp_err_clear(&e);
  char base[4200], b[1200];
  double y[PP_CHAR_MAX_W];
  int wmx = 0, wmn = 0;
  unsigned mx = 0, mn = 65535;
  for (int i = 0; i < t->n_w; i++) {
    int w = t->w_min + i;
    unsigned m = pp_char_delay_max_w(t, w);
    y[i] = m;
    if (m > mx) mx = m, wmx = w;
    if (w != 0 && m < mn) mn = m, wmn = w;
  }
  pp_plot_opts po;
  memset(&po, 0, sizeof po);
  po.title = "Largest MAC delay per weight value";
  po.xlabel = "weight value";
  po.ylabel = "max delay (ps)";
  snprintf(base, sizeof base, "%s/delay_max", dir);
  if (pp_plot_bars(base, &po, t->w_min, y, (size_t)t->n_w, &e))
    fprintf(stderr, "powerprune %s: plot skipped: %s\n", cmd, pp_err_format(&e, b, sizeof b));
  /* Fig. 3: delay profiles of a few weights (the paper's -105 and 64 when
   * they exist, and the slowest and fastest non-zero weight). */
  int ws[4] = {0}, nws = 0;
  int cand[4] = {wmx, wmn, -105, 64};
  for (int c = 0; c < 4; c++) {
    int w = cand[c], dup = 0;
    if (w < t->w_min || w >= t->w_min + t->n_w) continue;
    for (int k = 0; k < nws; k++) dup |= ws[k] == w;
    if (!dup) ws[nws++] = w;
  }
  size_t per = (size_t)t->n_a * t->n_a;
  double *samples = malloc(sizeof(double) * per * (size_t)nws);
  if (!samples) return;
  pp_plot_series s[4];
  char labels[4][32];
  for (int k = 0; k < nws; k++) {
    const uint16_t *d = t->d + (size_t)(ws[k] - t->w_min) * per;
    for (size_t q = 0; q < per; q++) samples[(size_t)k * per + q] = d[q];
    snprintf(labels[k], sizeof labels[k], "w = %d", ws[k]);
    memset(&s[k], 0, sizeof s[k]);
    s[k].label = labels[k];
    s[k].y = samples + (size_t)k * per;
    s[k].n = per;
  }
  memset(&po, 0, sizeof po);
  po.title = "Delay profiles over all activation transitions";
  po.xlabel = "delay (ps)";
  po.ylabel = "transitions";
  po.logy = 1;
  snprintf(base, sizeof base, "%s/delay_hist", dir);
  pp_err_clear(&e);
  if (pp_plot_hist(base, &po, s, (size_t)nws, 60, &e))
    fprintf(stderr, "powerprune %s: plot skipped: %s\n", cmd, pp_err_format(&e, b, sizeof b));
  free(samples);
}

int pp_cmd_timing(int argc, char **argv) {
  const char *cmd = "timing";
  const char *out_dir = NULL;
  int json = 0, plot = 1;
  pp_char_mac_spec spec;
  pp_char_mac_spec_default(&spec);
  pp_opt opts[] = {
      PP_OPT_PATH("mult-netlist", &spec.path[1], "FILE", "multiplier netlist (w, a -> prod)", .def = "generated"),
      PP_OPT_PATH("adder-netlist", &spec.path[2], "FILE", "adder netlist (prod, p -> y)", .def = "generated"),
      PP_OPTS_CHAR_MAC(&spec),
      PP_OPT_DOUBLE("tick-ps", &spec.sim.tick_ps, 0, PP_OPT_INF, "X", "simulation time step in ps",
                    .flags = PP_OPT_LO_OPEN),
      PP_OPT_PATH("out", &out_dir, "DIR",
                  "writes DIR/delay.bin (full table), DIR/timing.json,\n"
                  "DIR/delay_max.csv, DIR/delay_hist.csv and plots",
                  .short_name = 'o'),
      PP_OPT_BOOL("plot", &plot, "draw the plots"),
      PP_OPT_FLAG("json", &json, "print the summary as one JSON object on stdout"),
      PP_OPT_GROUP("--netlist is the full MAC, used only for its STA figure. The engine models transport\n"
                   "delays only: --delay-model inertial is an error here."),
      PP_OPT_END(),
  };
  int ret = pp_opt_parse(cmd, USAGE, opts, argc, argv, NULL);
  if (ret) return ret == PP_OPT_HELP ? PP_EXIT_OK : ret;
  if (spec.sim.inertial)
    return pp_cli_usage(cmd, "--delay-model inertial is not available here: the table of 255 x 65536 transitions is "
                             "computed by the time-stepped bit-parallel engine, which models transport delays only "
                             "(powerprune sim and characterize take inertial)");
  pp_char_mac mac;
  ret = pp_cli_char_mac_open(cmd, &spec, out_dir, PP_CHAR_FULL | PP_CHAR_MULT | PP_CHAR_ADDER, &mac);
  if (ret) return ret;
  pp_err e;
  pp_err_clear(&e);
  pp_char_delay t;
  int rc = pp_char_timing_run(mac.m[1], mac.m[2], mac.m[0], &t, &e);
  char path[4200];
  if (!rc) {
    snprintf(path, sizeof path, "%s/delay.bin", out_dir);
    rc = pp_char_delay_write(&t, path, &e);
    if (!rc) rc = write_csvs(&t, out_dir, &e);
    if (!rc) {
      pp_outfile o;
      snprintf(path, sizeof path, "%s/timing.json", out_dir);
      if (!(rc = pp_outfile_open(&o, path, &e))) {
        pp_json j;
        pp_json_init(&j, o.f, 1);
        summary_json(&j, &t, &mac, &spec.sim);
        pp_json_end(&j);
        rc = pp_outfile_commit(&o, &e);
      }
    }
    if (!rc && plot) plots(&t, out_dir, cmd);
  }
  if (rc) ret = pp_cli_fail(cmd, &e);
  else if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 0);
    summary_json(&j, &t, &mac, &spec.sim);
    pp_json_end(&j);
  } else {
    unsigned mx = 0;
    for (int i = 0; i < t.n_w; i++) {
      unsigned m = pp_char_delay_max_w(&t, t.w_min + i);
      if (m > mx) mx = m;
    }
    printf("delay table %d weights x %d x %d transitions in %.1f s: max delay %u ps (STA: multiplier %.1f ps, "
           "adder from prod %.1f ps, from p %u ps, full MAC %.1f ps)\n",
           t.n_w, t.n_a, t.n_a, t.seconds, mx, t.sta_mult_ps, t.sta_adder_max_ps, t.d_psum_ps, t.sta_mac_ps);
    printf("wrote %s/delay.bin, timing.json, delay_max.csv, delay_hist.csv\n", out_dir);
  }
  if (!rc) pp_char_delay_free(&t);
  pp_char_mac_free(&mac);
  return ret;
}
