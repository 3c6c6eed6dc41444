/* bench_dta: dynamic timing analysis of the default 8-bit multiplier (the
 * MAC generator's part=mult): for a weight held at w, the settle time of
 * every product bit for all 2^16 activation transitions a -> a'. Measures
 * our engines (event-driven, time-stepped bit-parallel) on one weight, all
 * 255 weights on the time-stepped engine with OpenMP, and Icarus Verilog on a
 * subset of the same transitions (same netlist, same delays), checking that
 * all of them agree. Last line: the summary `make bench-dta` promises. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/sim.h"
#include "pp/verilog.h"

static void die(const char *what, const pp_err *e) {
  char buf[1200];
  fprintf(stderr, "bench_dta: %s: %s\n", what, pp_err_format(e, buf, sizeof buf));
  exit(1);
}

typedef struct dta_ctx {
  const pp_sim_model *m;
  int pw, pa, nb, no;
} dta_ctx;

/* Time-stepped DTA of one weight, 256 transitions a -> a' (a' = 0..255) per
 * call: settle ticks of every product bit into bit_settle[(a*256+a')*no+o]
 * (may be NULL); returns the sum of the per-transition maxima. */
static long dta_weight_ts(const dta_ctx *c, pp_sim_ws *w, int weight, int32_t *bit_settle) {
  uint64_t *ow = calloc((size_t)c->nb * 4, sizeof(uint64_t)), *nw = calloc((size_t)c->nb * 4, sizeof(uint64_t));
  long sum = 0;
  for (int l = 0; l < 256; l++) {
    pp_sim_wide_set_port(c->m, ow, c->pw, l, weight);
    pp_sim_wide_set_port(c->m, nw, c->pw, l, weight);
    pp_sim_wide_set_port(c->m, nw, c->pa, l, l);
  }
  for (int a = 0; a < 256; a++) {
    for (int l = 0; l < 256; l++) pp_sim_wide_set_port(c->m, ow, c->pa, l, a);
    pp_sim_ts_result r;
    pp_sim_ts_run256(w, ow, nw, 0, &r);
    for (int l = 0; l < 256; l++) {
      sum += r.max_settle_ticks[l];
      if (bit_settle)
        for (int o = 0; o < c->no; o++) bit_settle[(size_t)(a * 256 + l) * c->no + o] = r.settle_ticks[o * 256 + l];
    }
  }
  free(ow), free(nw);
  return sum;
}

/* CPU seconds of the calling thread (the machine may be shared: wall time
 * alone would understate the engines). */
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int fixed_w = argc > 1 ? atoi(argv[1]) : 93;
  int n_icarus = argc > 2 ? atoi(argv[2]) : 3000;
  int threads = omp_get_max_threads();
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  if (pp_lib_read(pp_lib_default_path(), &lib, &e)) die("library", &e);
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  mo.part = PP_MAC_MULT;
  char tmp[] = "/tmp/pp_bench_dta_XXXXXX";
  int fd = mkstemp(tmp);
  if (fd < 0) return 1;
  close(fd);
  pp_netlist *nl;
  if (pp_mac_generate(&mo, lib, tmp, &e) || pp_netlist_read(tmp, lib, NULL, &nl, &e)) die("multiplier", &e);
  remove(tmp);
  pp_sim_opts so;
  pp_sim_opts_default(&so); /* tick 1 ps */
  pp_sim_model *m;
  if (pp_sim_model_new(nl, &so, &m, &e)) die("model", &e);
  dta_ctx c = {m, pp_netlist_find_input(nl, "w"), pp_netlist_find_input(nl, "a"), pp_sim_n_input_bits(m),
               pp_sim_n_output_bits(m)};
  if (c.pw < 0 || c.pa < 0) {
    fprintf(stderr, "bench_dta: the multiplier has no w/a ports\n");
    return 1;
  }
  pp_sta *sta;
  if (pp_sta_run(m, &sta, &e)) die("sta", &e);
  printf("multiplier %s: %d gates, %d nets; STA critical path %.0f ps; %d thread(s)\n", nl->top, nl->n_gates,
         nl->n_nets, sta->critical_ps, threads);

  /* 1. one weight, all 2^16 transitions: event engine */
  pp_sim_ws *w;
  if (pp_sim_ws_new(m, &w, &e)) die("workspace", &e);
  int no = c.no;
  int32_t *ev_bits = malloc((size_t)65536 * no * sizeof(int32_t));
  int32_t *ts_bits = malloc((size_t)65536 * no * sizeof(int32_t));
  uint8_t *ob = calloc((size_t)c.nb, 1), *nbits = calloc((size_t)c.nb, 1);
  double t0 = pp_now(), c0 = cpu_now();
  long ev_sum = 0;
  for (int a = 0; a < 256; a++)
    for (int a2 = 0; a2 < 256; a2++) {
      pp_sim_bits_set_port(m, ob, c.pw, fixed_w);
      pp_sim_bits_set_port(m, nbits, c.pw, fixed_w);
      pp_sim_bits_set_port(m, ob, c.pa, a);
      pp_sim_bits_set_port(m, nbits, c.pa, a2);
      pp_sim_result r;
      pp_sim_transition(w, ob, nbits, 0, &r);
      ev_sum += (long)(r.max_settle_ps + 0.5);
      for (int o = 0; o < no; o++) ev_bits[(size_t)(a * 256 + a2) * no + o] = (int32_t)(r.settle_ps[o] + 0.5);
    }
  double t_ev = pp_now() - t0, c_ev = cpu_now() - c0;
  printf("event-driven, w=%d:      65536 transitions in %7.3f s, %10.0f transitions/s (%.0f per CPU second)\n",
         fixed_w, t_ev, 65536 / t_ev, 65536 / c_ev);

  /* 2. same weight: time-stepped bit-parallel, 256 transitions per call */
  t0 = pp_now();
  c0 = cpu_now();
  long ts_sum = dta_weight_ts(&c, w, fixed_w, ts_bits);
  double t_ts = pp_now() - t0, c_ts = cpu_now() - c0;
  long mism = 0;
  for (size_t i = 0; i < (size_t)65536 * no; i++) mism += ev_bits[i] != ts_bits[i];
  printf("time-stepped x256, w=%d: 65536 transitions in %7.3f s, %10.0f transitions/s (%.0f per CPU second; %ld of "
         "%ld settle times differ from the event engine)\n",
         fixed_w, t_ts, 65536 / t_ts, 65536 / c_ts, mism, 65536L * no);
  int over = 0;
  for (int i = 0; i < 65536; i++) {
    int mx = 0;
    for (int o = 0; o < no; o++)
      if (ts_bits[(size_t)i * no + o] > mx) mx = ts_bits[(size_t)i * no + o];
    if (mx * pp_sim_tick_ps(m) > sta->critical_ps + 1e-9) over++;
  }
  printf("  mean max settle %.1f ps (event %.1f ps); %d transitions above STA\n", ts_sum / 65536.0,
         ev_sum / 65536.0, over);
  if (mism || ev_sum != ts_sum || over) {
    fprintf(stderr, "bench_dta: engines disagree\n");
    return 1;
  }

  /* 3. zero-delay bit-parallel toggles (no timing), for scale */
  {
    uint64_t ow[64] = {0}, nw[64] = {0};
    t0 = pp_now();
    long tg = 0;
    for (int a = 0; a < 256; a++)
      for (int a2 = 0; a2 < 256; a2 += 64) {
        for (int l = 0; l < 64; l++) {
          pp_sim_words_set_port(m, ow, c.pw, l, fixed_w);
          pp_sim_words_set_port(m, nw, c.pw, l, fixed_w);
          pp_sim_words_set_port(m, ow, c.pa, l, a);
          pp_sim_words_set_port(m, nw, c.pa, l, a2 + l);
        }
        tg += pp_sim_bp_toggles(w, ow, nw, NULL);
      }
    double t_bp = pp_now() - t0;
    printf("zero-delay x64 (toggles only, no timing): %10.0f transitions/s (%ld toggles)\n", 65536 / t_bp, tg);
  }

  /* 4. all 255 weights, time-stepped, OpenMP over weights */
  long total = 0;
  t0 = pp_now();
  int failed = 0;
  double cpu_all = 0;
#pragma omp parallel reduction(+ : total, cpu_all) reduction(| : failed)
  {
    double tc = cpu_now();
    pp_sim_ws *tw;
    pp_err te;
    pp_err_clear(&te);
    if (pp_sim_ws_new(m, &tw, &te)) failed = 1;
    else {
#pragma omp for schedule(dynamic, 1)
      for (int wt = -127; wt <= 127; wt++) total += dta_weight_ts(&c, tw, wt, NULL);
      pp_sim_ws_free(tw);
    }
    cpu_all += cpu_now() - tc;
  }
  double t_all = pp_now() - t0;
  if (failed) {
    fprintf(stderr, "bench_dta: out of memory\n");
    return 1;
  }
  double n_all = 255.0 * 65536;
  printf("time-stepped x256, 255 weights on %d threads: %.0f transitions in %.2f s, %.0f transitions/s "
         "(%.2f CPU s, %.0f per CPU second; mean max settle %.1f ps)\n",
         threads, n_all, t_all, n_all / t_all, cpu_all, n_all / cpu_all, total / n_all * pp_sim_tick_ps(m));

  /* 5. Icarus Verilog on a subset of the same weight's transitions */
  double ratio = -1;
  if (n_icarus > 0 && pp_sim_icarus_available()) {
    /* a chain of activations: transition k is a_k -> a_{k+1}, weight held */
    uint8_t *vec = calloc((size_t)(n_icarus + 1) * c.nb, 1);
    pp_rng r;
    pp_rng_seed(&r, 1);
    int *as = malloc((size_t)(n_icarus + 1) * sizeof(int));
    for (int k = 0; k <= n_icarus; k++) {
      as[k] = (int)pp_rng_below(&r, 256);
      pp_sim_bits_set_port(m, vec + (size_t)k * c.nb, c.pw, fixed_w);
      pp_sim_bits_set_port(m, vec + (size_t)k * c.nb, c.pa, as[k]);
    }
    char vf[] = "/tmp/pp_bench_dta_v_XXXXXX";
    fd = mkstemp(vf);
    close(fd);
    if (pp_sim_icarus_write(m, vf, NULL, vec, n_icarus, 0, &e)) die("icarus model", &e);
    int *tog = calloc((size_t)n_icarus * nl->n_nets, sizeof(int));
    int32_t *last = calloc((size_t)n_icarus * nl->n_nets, sizeof(int32_t));
    double t_iv;
    if (pp_sim_icarus_run(m, vf, n_icarus, tog, last, &t_iv, &e)) die("icarus", &e);
    remove(vf);
    long agree = 0, cmp = 0;
    for (int k = 0; k < n_icarus; k++)
      for (int o = 0; o < no; o++) {
        int net = pp_sim_output_net(m, o);
        cmp++;
        agree += last[(size_t)k * nl->n_nets + net] == ts_bits[(size_t)(as[k] * 256 + as[k + 1]) * no + o];
      }
    double iv_rate = n_icarus / t_iv;
    ratio = (n_all / t_all) / iv_rate;
    printf("icarus verilog (vvp), w=%d: %d transitions in %.2f s, %.0f transitions/s; settle times identical for "
           "%ld of %ld product bits\n",
           fixed_w, n_icarus, t_iv, iv_rate, agree, cmp);
    printf("per transition (wall): event engine %.1fx, time-stepped %.1fx (1 thread), %.1fx (%d threads) icarus\n",
           (65536 / t_ev) / iv_rate, (65536 / t_ts) / iv_rate, ratio, threads);
    free(vec), free(as), free(tog), free(last);
    if (agree != cmp) {
      fprintf(stderr, "bench_dta: icarus disagrees\n");
      return 1;
    }
  } else
    printf("icarus verilog: not available, ratio not measured\n");
  printf("dta: 255 weights x 65536 transitions in %.2f s on %d threads, %.0f transitions/s, %.1fx iverilog\n", t_all,
         threads, n_all / t_all, ratio);
  free(ev_bits), free(ts_bits), free(ob), free(nbits);
  pp_sim_ws_free(w);
  pp_sta_free(sta);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return 0;
}
