/* bench_char: power characterization of the default 8-bit MAC, the
 * time-stepped 256-lane engine with energy against the event engine (its
 * reference) on the same weights and uniform transitions; prints CPU time
 * per transition of each, the ratio and the largest relative difference.
 * Run: make bench-char (ARGS="TRANSITIONS WEIGHTS [ts]"; ts: skip the event engine) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp/characterize.h"

static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  size_t T = argc > 1 ? (size_t)atol(argv[1]) : 10000;
  int nw = argc > 2 ? atoi(argv[2]) : 6;
  int ts_only = argc > 3 && !strcmp(argv[3], "ts"); /* for profiling */
  if (T < 1 || nw < 1 || nw > 255) return 2;
  char dir[] = "/tmp/pp_bench_char_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  s.work_dir = dir;
  pp_char_mac mac;
  pp_err e;
  pp_err_clear(&e);
  char b[1200];
  if (pp_char_mac_load(&s, PP_CHAR_FULL, &mac, &e)) {
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return 1;
  }
  pp_char_tuple *t = malloc(T * sizeof *t);
  pp_sim_ws *ws;
  if (!t || pp_sim_ws_new(mac.m[0], &ws, &e)) return 1;
  pp_char_uniform_tuples(8, 22, T, 1, t);
  double ts = 0, ev = 0, maxrel = 0;
  for (int k = 0; k < nw; k++) {
    int w = -127 + (int)((254L * k) / (nw > 1 ? nw - 1 : 1));
    double a, r, t0 = cpu_s();
    if (pp_char_weight_energy_ts(mac.m[0], ws, w, t, T, &a, &e)) return 1;
    double t1 = cpu_s();
    r = a;
    if (!ts_only && pp_char_weight_energy_event(mac.m[0], ws, w, t, T, &r, &e)) return 1;
    double t2 = cpu_s();
    ts += t1 - t0, ev += t2 - t1;
    double rel = r > 0 ? fabs(a - r) / r : fabs(a - r);
    if (rel > maxrel) maxrel = rel;
  }
  /* the same engine without energy (toggles and settle times only): what energy costs */
  double tn0 = cpu_s();
  {
    const pp_netlist *nl = pp_sim_netlist(mac.m[0]);
    int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
    size_t nb = (size_t)pp_sim_n_input_bits(mac.m[0]) * 4;
    uint64_t *ow = calloc(nb, 8), *nwd = calloc(nb, 8);
    for (int k = 0; k < nw; k++)
      for (size_t i0 = 0; i0 < T; i0 += 256) {
        for (int l = 0; l < 256; l++) {
          const pp_char_tuple *u = &t[i0 + l < T ? i0 + l : i0];
          pp_sim_wide_set_port(mac.m[0], ow, pw, l, -127 + (int)((254L * k) / (nw > 1 ? nw - 1 : 1)));
          pp_sim_wide_set_port(mac.m[0], nwd, pw, l, -127 + (int)((254L * k) / (nw > 1 ? nw - 1 : 1)));
          pp_sim_wide_set_port(mac.m[0], ow, pa, l, u->a_old);
          pp_sim_wide_set_port(mac.m[0], nwd, pa, l, u->a_new);
          pp_sim_wide_set_port(mac.m[0], ow, pp, l, u->p_old);
          pp_sim_wide_set_port(mac.m[0], nwd, pp, l, u->p_new);
        }
        pp_sim_ts_result r;
        pp_sim_ts_run256(ws, ow, nwd, 0, &r);
      }
    free(ow);
    free(nwd);
  }
  double tnoen = cpu_s() - tn0;
  double n = (double)T * nw;
  printf("characterize: %d weights x %zu transitions of the 8-bit MAC (CPU time, 1 thread)\n", nw, T);
  printf("  time-stepped 256 lanes with energy: %.3f s, %.3f us/transition\n", ts, ts / n * 1e6);
  printf("  the same engine without energy:      %.3f s, %.3f us/transition\n", tnoen, tnoen / n * 1e6);
  printf("  event engine (reference):           %.3f s, %.3f us/transition\n", ev, ev / n * 1e6);
  printf("char: %.2f us/transition, %.1fx the event engine, max relative difference %.2g\n", ts / n * 1e6, ev / ts,
         maxrel);
  pp_sim_ws_free(ws);
  free(t);
  pp_char_mac_free(&mac);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) != 0 || maxrel > 1e-9;
}
