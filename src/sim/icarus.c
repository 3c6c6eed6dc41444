/* sim/icarus: writes the simulation model as Verilog for Icarus Verilog and
 * reads back what Icarus simulated, to cross-check our engines against an
 * independent simulator on the same delays (mapping documented in sim.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
  int a = system("iverilog -V >/dev/null 2>&1");
  int b = system("command -v vvp >/dev/null 2>&1");
  return a != -1 && WIFEXITED(a) && WEXITSTATUS(a) == 0 && b != -1 && WIFEXITED(b) && WEXITSTATUS(b) == 0;
}

int pp_sim_icarus_run(const pp_sim_model *m, const char *vfile, int n_transitions, int *toggles,
                      int32_t *last_tick, double *seconds, pp_err *e) {
  int nn = m->n_nets;
  size_t len = strlen(vfile) + 64;
  char *vvp = malloc(len), *cmd = malloc(2 * len + 64);
  uint8_t *cur = malloc((size_t)nn);
  if (!vvp || !cmd || !cur) {
    free(vvp), free(cmd), free(cur);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  snprintf(vvp, len, "%s.vvp", vfile);
  snprintf(cmd, 2 * len + 64, "iverilog -o '%s' '%s' 2>&1", vvp, vfile);
  int st = system(cmd);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    free(cmd), free(cur);
    int r = pp_err_set(e, PP_EIO, vfile, 0, "iverilog failed to compile the model (is Icarus Verilog installed?)");
    remove(vvp);
    free(vvp);
    return r;
  }
  snprintf(cmd, 2 * len + 64, "vvp -n '%s'", vvp);
  memset(toggles, 0, (size_t)n_transitions * nn * sizeof *toggles);
  memset(last_tick, 0, (size_t)n_transitions * nn * sizeof *last_tick);
  memset(cur, 2, (size_t)nn); /* x */
  double t0 = pp_now();
  FILE *p = popen(cmd, "r");
  if (!p) {
    free(cmd), free(cur);
    remove(vvp);
    free(vvp);
    return pp_err_set(e, PP_EIO, "", 0, "cannot run vvp");
  }
  char line[256];
  int win = -1, bad = 0, seen_end = 0;
  long wstart = 0;
  while (fgets(line, sizeof line, p)) {
    if (line[0] == '#') {
      win = -1;
      continue;
    }
    if (line[0] == '@') {
      int k;
      long t;
      if (sscanf(line + 1, "%d %ld", &k, &t) != 2 || k < 0 || k >= n_transitions) {
        bad = 1;
        continue;
      }
      win = k;
      wstart = t;
      if (k == n_transitions - 1) seen_end = 1;
      continue;
    }
    int n;
    long t;
    char v;
    if (sscanf(line, "%d %ld %c", &n, &t, &v) != 3 || n < 0 || n >= nn) {
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
  int pst = pclose(p);
  if (seconds) *seconds = pp_now() - t0;
  remove(vvp);
  free(vvp), free(cmd), free(cur);
  if (pst == -1 || !WIFEXITED(pst) || WEXITSTATUS(pst) != 0 || bad || !seen_end)
    return pp_err_set(e, PP_EIO, vfile, 0, "vvp failed or printed unexpected output");
  return PP_OK;
}
