/* sim/icarus: writes the simulation model as Verilog for Icarus Verilog and
 * reads back what Icarus simulated, to cross-check our engines against an
 * independent simulator on the same delays (mapping documented in sim.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static const char *timescale_of(double tick) {
  static const double ticks[] = {1, 0.1, 0.01, 0.001};
  static const char *names[] = {"1ps/1ps", "100fs/100fs", "10fs/10fs", "1fs/1fs"};
  for (int i = 0; i < 4; i++)
    if (fabs(tick - ticks[i]) < 1e-12) return names[i];
  return NULL;
}

/* Settling time between vectors, in ticks: longer than any event. */
static long settle_ticks(const pp_sim_model *m) { return (long)m->horizon + 4; }

static void put_vec(FILE *f, const pp_sim_model *m, const uint8_t *v) {
  fprintf(f, "%d'b", m->n_in_bits);
  for (int b = m->n_in_bits - 1; b >= 0; b--) fputc(v[b] ? '1' : '0', f);
}

int pp_sim_icarus_write(const pp_sim_model *m, const char *path, const uint8_t *old_bits,
                        const uint8_t *new_bits, int n_transitions, int watch_all, pp_err *e) {
  const char *ts = timescale_of(m->tick);
  if (!ts)
    return pp_err_set(e, PP_EINVAL, "", 0, "icarus: tick_ps must be 1, 0.1, 0.01 or 0.001 ps, not %g", m->tick);
  if (m->n_in_bits < 1) return pp_err_set(e, PP_EINVAL, "", 0, "icarus: the netlist has no input bits");
  pp_outfile of;
  int st = pp_outfile_open(&of, path, e);
  if (st) return st;
  FILE *f = of.f;
  const pp_netlist *nl = m->nl;
  fprintf(f, "// powerprune sim model of %s for Icarus Verilog: transport pin delays in ticks of %g ps\n",
          nl->top ? nl->top : "netlist", m->tick);
  fprintf(f, "`timescale %s\nmodule pp_sim_tb;\n  reg [%d:0] in;\n", ts, m->n_in_bits - 1);
  for (int n = 0; n < m->n_nets; n++) {
    if (m->net_in_bit[n] >= 0) fprintf(f, "  wire n%d = in[%d];\n", n, m->net_in_bit[n]);
    else if (m->net_const[n] >= 0) fprintf(f, "  wire n%d = 1'b%d;\n", n, m->net_const[n]);
    else if (m->net_node[n] < 0) fprintf(f, "  wire n%d = 1'b0;\n", n); /* undriven, unread */
  }
  for (int d = 0; d < m->n_nodes; d++) {
    int k = m->node_nin[d], p0 = m->node_pin0[d];
    for (int i = 0; i < k; i++) {
      int p = p0 + i, x = m->pin_net[p], dr = m->pin_dr[p], df = m->pin_df[p];
      int lo = dr < df ? dr : df, hi = dr < df ? df : dr;
      if (m->net_in_bit[x] < 0 && m->net_node[x] < 0) { /* constant: never changes, no taps */
        fprintf(f, "  wire p%d = 1'b%d;\n", p, m->net_const[x] > 0);
        continue;
      }
      fprintf(f, "  reg");
      for (int j = lo; j <= hi; j++) fprintf(f, "%s p%d_%d", j > lo ? "," : "", p, j);
      fprintf(f, ";\n");
      for (int j = lo; j <= hi; j++) fprintf(f, "  always @(n%d) p%d_%d <= #%d n%d;\n", x, p, j, j, x);
      fprintf(f, "  wire p%d =", p);
      for (int j = lo; j <= hi; j++) fprintf(f, "%s p%d_%d", j > lo ? (dr >= df ? " &" : " |") : "", p, j);
      fprintf(f, ";\n");
    }
    int rows = 1 << k;
    fprintf(f, "  localparam [%d:0] T%d = %d'b", rows - 1, d, rows);
    for (int r = rows - 1; r >= 0; r--) fputc((m->node_truth[d] >> r) & 1 ? '1' : '0', f);
    fprintf(f, ";\n");
    if (k == 0) fprintf(f, "  wire n%d = T%d[0];\n", m->node_net[d], d);
    else {
      fprintf(f, "  wire n%d = T%d[{", m->node_net[d], d);
      for (int i = k - 1; i >= 0; i--) fprintf(f, "p%d%s", p0 + i, i ? "," : "");
      fprintf(f, "}];\n");
    }
  }
  /* watchers: the end-of-step value of every change */
  for (int n = 0; n < m->n_nets; n++) {
    int drv = m->net_in_bit[n] >= 0 || m->net_node[n] >= 0;
    if (!drv) continue;
    if (!watch_all && m->net_out_bit[n] < 0) continue;
    fprintf(f, "  always @(n%d) $strobe(\"%d %%0t %%b\", $time, n%d);\n", n, n, n);
  }
  long S = settle_ticks(m);
  fprintf(f, "  initial begin\n");
  if (!old_bits) {
    fprintf(f, "    in = ");
    put_vec(f, m, new_bits);
    fprintf(f, "; #%ld;\n", S);
  }
  for (int t = 0; t < n_transitions; t++) {
    if (old_bits) {
      fprintf(f, "    $display(\"#\"); in = ");
      put_vec(f, m, old_bits + (size_t)t * m->n_in_bits);
      fprintf(f, "; #%ld;\n", S);
      fprintf(f, "    $display(\"@ %d %%0t\", $time); in = ", t);
      put_vec(f, m, new_bits + (size_t)t * m->n_in_bits);
    } else {
      fprintf(f, "    $display(\"@ %d %%0t\", $time); in = ", t);
      put_vec(f, m, new_bits + (size_t)(t + 1) * m->n_in_bits);
    }
    fprintf(f, "; #%ld;\n", S);
  }
  fprintf(f, "    $display(\"#\"); $finish;\n  end\nendmodule\n");
  if (ferror(f)) {
    pp_outfile_abort(&of);
    return pp_err_set(e, PP_EIO, path, 0, "cannot write the Icarus model");
  }
  return pp_outfile_commit(&of, e);
}

int pp_sim_icarus_available(void) {
  char *iv[] = {"iverilog", "-V", NULL}, *vv[] = {"vvp", "-V", NULL};
  pp_run_opts q = {.quiet = 1};
  return pp_run(iv, &q, NULL, NULL) == PP_OK && pp_run(vv, &q, NULL, NULL) == PP_OK;
}

int pp_sim_icarus_run(const pp_sim_model *m, const char *vfile, int n_transitions, int *toggles,
                      int32_t *last_tick, double *seconds, pp_err *e) {
  int nn = m->n_nets;
  uint8_t *cur = malloc((size_t)nn);
  if (!cur) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  /* iverilog passes source names to its compiler through a list file, one
   * per line, so a name with a line break cannot be given even as an
   * argument: both tools see fixed names in a private folder instead. */
  pp_stage sg;
  char vvp[4300];
  int st = pp_stage_open(&sg, vfile, e);
  if (!st) st = pp_stage_link(&sg, "model.v", vfile, e);
  if (!st) st = pp_stage_path(&sg, "model.vvp", vvp, sizeof vvp, e);
  if (st) {
    pp_stage_close(&sg);
    free(cur);
    return st;
  }
  char *cc[] = {"iverilog", "-o", "model.vvp", "model.v", NULL};
  pp_run_opts ro = {.cwd = sg.dir, .stderr_mode = PP_RUN_STDERR_KEEP};
  int code = 0;
  pp_err re;
  pp_err_clear(&re);
  if (pp_run(cc, &ro, &code, &re) || code != 0) {
    free(cur);
    pp_stage_close(&sg);
    return re.status ? pp_err_set(e, PP_EIO, vfile, 0, "iverilog: %s", re.msg)
                     : pp_err_set(e, PP_EIO, vfile, 0, "iverilog failed to compile the model (exit status %d)", code);
  }
  memset(toggles, 0, (size_t)n_transitions * nn * sizeof *toggles);
  memset(last_tick, 0, (size_t)n_transitions * nn * sizeof *last_tick);
  memset(cur, 2, (size_t)nn); /* x */
  double t0 = pp_now();
  char *rv[] = {"vvp", "-n", "model.vvp", NULL};
  pp_proc pr;
  st = pp_proc_start(rv, &ro, &pr, e);
  if (st) {
    free(cur);
    pp_stage_close(&sg);
    return st;
  }
  FILE *p = pr.out;
  char line[256];
  int win = -1, bad = 0, seen_end = 0;
  long wstart = 0;
  while (fgets(line, sizeof line, p)) {
    if (line[0] == '#') {
      win = -1;
      continue;
    }
    if (line[0] == '@') {
      long k, t;
      const char *c = line + 1;
      if (pp_scan_long(&c, &k) || pp_scan_long(&c, &t) || k < 0 || k >= n_transitions) {
        bad = 1;
        continue;
      }
      win = (int)k; /* in [0, n_transitions) */
      wstart = t;
      if (k == n_transitions - 1) seen_end = 1;
      continue;
    }
    long n, t;
    const char *c = line;
    int ok = !pp_scan_long(&c, &n) && !pp_scan_long(&c, &t);
    while (ok && (*c == ' ' || *c == '\t')) c++;
    char v = *c;
    if (!ok || !v || v == '\n' || n < 0 || n >= nn) {
      if (strncmp(line, "VCD", 3) && line[0] != '\n') bad = 1;
      continue;
    }
    uint8_t nv = v == '1' ? 1 : v == '0' ? 0 : 2;
    if (nv == cur[n]) continue; /* a strobe of a step that ended where it began */
    cur[n] = nv;
    if (win >= 0) {
      toggles[(size_t)win * nn + n]++;
      last_tick[(size_t)win * nn + n] = (int32_t)(t - wstart);
    }
  }
  int pst = 0;
  pp_err we;
  pp_err_clear(&we);
  int wrc = pp_proc_finish(&pr, &pst, &we);
  if (seconds) *seconds = pp_now() - t0;
  pp_stage_close(&sg);
  free(cur);
  if (wrc) return pp_err_set(e, PP_EIO, vfile, 0, "vvp: %s", we.msg);
  if (pst != 0 || bad || !seen_end)
    return pp_err_set(e, PP_EIO, vfile, 0, "vvp failed (exit status %d) or printed unexpected output", pst);
  return PP_OK;
}
