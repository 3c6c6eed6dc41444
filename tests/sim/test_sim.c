/* Tests of sim: compiled cell functions, the event engine against hand-worked
 * timings and against a naive tick-by-tick reference, the bit-parallel and
 * time-stepped engines against the same reference, inertial filtering, STA
 * on hand-computed paths, and dynamic settle times bounded by STA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlbuild.h"
#include "pp/verilog.h"
#include "pp/sim.h"
#include "sim/sim_internal.h"

static pp_lib *LIB;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  if (pp_lib_read(pp_lib_default_path(), &LIB, &e)) {
    char buf[1200];
    fprintf(stderr, "%s\n", pp_err_format(&e, buf, sizeof buf));
    return -1;
  }
  return 0;
}

static int teardown(void **st) {
  (void)st;
  pp_lib_free(LIB);
  return 0;
}

static pp_sim_model *model_of(const pp_netlist *nl, int inertial) {
  pp_sim_opts o;
  pp_sim_opts_default(&o);
  o.inertial = inertial;
  pp_sim_model *m = NULL;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_sim_model_new(nl, &o, &m, &e), PP_OK);
  return m;
}

/* ---- naive reference: every net at every tick, straight from sim.h ---- */
typedef struct ref_out {
  int *tog;     /* per net */
  int *last;    /* per net, last change tick (0 none) */
  double sw, in;
} ref_out;

static void ref_zero_delay(const pp_sim_model *m, const uint8_t *bits, uint8_t *v) {
  const pp_netlist *nl = m->nl;
  for (int n = 0; n < nl->n_nets; n++) v[n] = nl->nets[n].drv_kind == PP_DRV_CONST1;
  for (int b = 0; b < m->n_in_bits; b++) v[m->in_net[b]] = bits[b];
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_gate *gt = &nl->gates[g];
    const pp_lib_cell *c = &nl->lib->cells[gt->cell];
    int idx = 0;
    for (int i = 0; i < gt->n_in; i++) idx |= v[gt->in[i]] << i;
    for (int k = 0; k < gt->n_out; k++)
      if (gt->out[k] >= 0) v[gt->out[k]] = (c->pins[c->outputs[k]].truth >> idx) & 1;
  }
}

static void ref_sim(const pp_sim_model *m, const uint8_t *oldb, const uint8_t *newb, ref_out *r) {
  const pp_netlist *nl = m->nl;
  int T = m->horizon + 2, nn = nl->n_nets;
  uint8_t *v = calloc((size_t)(T + 1) * nn, 1); /* v[(t+1)*nn + n], t = -1..T-1 */
  ref_zero_delay(m, oldb, v);
  r->tog = calloc((size_t)nn, sizeof(int));
  r->last = calloc((size_t)nn, sizeof(int));
  r->sw = r->in = 0;
  uint8_t *pv = calloc((size_t)m->n_pins * (T + 1), 1);
  for (int t = 0; t < T; t++) {
    uint8_t *cur = v + (size_t)(t + 1) * nn, *prev = v + (size_t)t * nn;
    memcpy(cur, prev, (size_t)nn);
    for (int b = 0; b < m->n_in_bits; b++) cur[m->in_net[b]] = newb[b];
    for (int d = 0; d < m->n_nodes; d++) {
      int idx = 0, attr = -1;
      for (int i = 0; i < m->node_nin[d]; i++) {
        int p = m->node_pin0[d] + i, x = m->pin_net[p], dr = m->pin_dr[p], df = m->pin_df[p];
        int lo = dr < df ? dr : df, hi = dr < df ? df : dr, val = dr >= df ? 1 : 0;
        for (int j = lo; j <= hi; j++) {
          int tau = t - j;
          int xv = v[(size_t)(tau < -1 ? 0 : tau + 1) * nn + x];
          if (dr >= df) val &= xv;
          else val |= xv;
        }
        /* pin value one tick earlier, for the internal-energy attribution */
        int pvv = dr >= df ? 1 : 0;
        for (int j = lo; j <= hi; j++) {
          int tau = t - 1 - j;
          int xv = v[(size_t)(tau < -1 ? 0 : tau + 1) * nn + x];
          if (dr >= df) pvv &= xv;
          else pvv |= xv;
        }
        if (t > 0 && pvv != val && attr < 0) attr = p;
        idx |= val << i;
      }
      int o = (m->node_truth[d] >> idx) & 1, n = m->node_net[d];
      cur[n] = (uint8_t)o;
      if (o != prev[n]) {
        if (attr < 0) attr = m->node_pin0[d];
        r->in += o ? m->pin_er[attr] : m->pin_ef[attr];
      }
    }
    for (int n = 0; n < nn; n++)
      if (cur[n] != prev[n]) {
        r->tog[n]++;
        r->last[n] = t;
        r->sw += m->net_ecap[n];
      }
  }
  free(v);
  free(pv);
}

/* ---- tests ---- */

static void test_prog_matches_truth(void **st) {
  (void)st;
  /* every library function, and random functions of up to 6 inputs */
  pp_rng r;
  pp_rng_seed(&r, 7);
  for (int c = 0; c < LIB->n_cells + 300; c++) {
    uint64_t tt;
    int k;
    if (c < LIB->n_cells) {
      if (LIB->cells[c].is_sequential || LIB->cells[c].n_outputs < 1) continue;
      k = LIB->cells[c].n_inputs;
      tt = LIB->cells[c].pins[LIB->cells[c].outputs[0]].truth;
    } else {
      k = 1 + (int)pp_rng_below(&r, 6);
      tt = pp_rng_u64(&r);
      if (pp_rng_below(&r, 3) == 0) tt &= pp_rng_u64(&r) & pp_rng_u64(&r);
      if (k < 6) tt &= ((uint64_t)1 << (1 << k)) - 1;
    }
    sim_prog p;
    assert_int_equal(sim_prog_build(tt, k, &p), 0);
    uint64_t pins[6] = {0};
    /* lane j = row j */
    for (int row = 0; row < (1 << k); row++)
      for (int i = 0; i < k; i++)
        if (row >> i & 1) pins[i] |= (uint64_t)1 << row;
    uint64_t out = sim_prog_eval(&p, pins);
    uint64_t mask = k == 6 ? ~(uint64_t)0 : (((uint64_t)1 << (1 << k)) - 1);
    assert_true((out & mask) == (tt & mask));
  }
}

static int arc_r(const pp_sim_model *m, int g) {
  int r, f;
  assert_int_equal(pp_sim_arc_delay(m, g, 0, 0, &r, &f), 0);
  return r;
}
static int arc_f(const pp_sim_model *m, int g) {
  int r, f;
  assert_int_equal(pp_sim_arc_delay(m, g, 0, 0, &r, &f), 0);
  return f;
}

/* x -> INV -> INV -> INV -> y: the settle time is the sum of the pin delays
 * of the edges that travel: x rises, g0's input rises, g1's falls, g2's rises. */
static void test_inverter_chain(void **st) {
  (void)st;
  nb b;
  nb_init(&b, LIB);
  int x = nb_input(&b, "x", 1);
  int n1 = nb_g1(&b, "INV_X1", x);
  int n2 = nb_g1(&b, "INV_X2", n1);
  int n3 = nb_g1(&b, "INV_X1", n2);
  nb_output(&b, "y", &n3, 1);
  nb_finish(&b);
  pp_sim_model *m = model_of(&b.nl, 0);
  /* inverters are negative unate: d_r = fall arc, d_f = rise arc; all >= 1 tick */
  int t = arc_r(m, 0) + arc_f(m, 1) + arc_r(m, 2);
  assert_true(arc_r(m, 0) >= 1 && arc_f(m, 1) >= 1);
  pp_sim_ws *w;
  pp_err e;
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  uint8_t o = 0, n = 1;
  pp_sim_result r;
  assert_int_equal(pp_sim_transition(w, &o, &n, PP_SIM_NET_DETAIL, &r), PP_OK);
  assert_int_equal(r.toggles, 4);
  assert_int_equal(r.output_toggles, 1);
  assert_true(fabs(r.settle_ps[0] - t) < 1e-9);
  assert_true(fabs(r.max_settle_ps - t) < 1e-9);
  assert_int_equal(r.out_values[0], 0);
  assert_true(fabs(r.net_last_ps[n2] - (arc_r(m, 0) + arc_f(m, 1))) < 1e-9);
  /* energy: 0.5 C V^2 per net + internal energy of each inverter's edge */
  double V = LIB->voltage, sw = 0;
  for (int k = 0; k < b.nl.n_nets; k++) sw += 0.5 * b.nl.nets[k].load_ff * V * V;
  assert_true(fabs(r.switching_fj - sw) < 1e-9);
  double in = m->pin_ef[0] + m->pin_er[1] + m->pin_ef[2];
  assert_true(in > 0);
  assert_true(fabs(r.internal_fj - in) < 1e-9);
  assert_true(fabs(r.energy_fj - sw - in) < 1e-9);
  /* no change, no energy */
  assert_int_equal(pp_sim_transition(w, &n, &n, 0, &r), PP_OK);
  assert_int_equal(r.toggles, 0);
  assert_true(r.energy_fj == 0 && r.max_settle_ps == 0);
  assert_true(pp_sim_leakage_nw(m) > 0);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  nb_free(&b);
}

/* y = x XOR delayed(x): a rising x makes a pulse on y from the XOR's own
 * pin delay on x to the chain delay plus the XOR delay on the other pin. */
static void test_glitch_pulse(void **st) {
  (void)st;
  nb b;
  nb_init(&b, LIB);
  int x = nb_input(&b, "x", 1);
  int n1 = nb_g1(&b, "BUF_X1", x);
  int n2 = nb_g1(&b, "BUF_X1", n1);
  int n3 = nb_g1(&b, "BUF_X1", n2);
  int y = nb_g2(&b, "XOR2_X1", x, n3);
  nb_output(&b, "y", &y, 1);
  nb_finish(&b);
  pp_sim_model *m = model_of(&b.nl, 0);
  int dxa_r, dxa_f, dxb_r, dxb_f;
  pp_sim_arc_delay(m, 3, 0, 0, &dxa_r, &dxa_f);
  pp_sim_arc_delay(m, 3, 0, 1, &dxb_r, &dxb_f);
  assert_int_equal(dxa_r, dxa_f); /* XOR pins are non-unate: one delay */
  int chain = arc_r(m, 0) + arc_r(m, 1) + arc_r(m, 2);
  pp_sim_ws *w;
  pp_err e;
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  uint8_t o = 0, n = 1;
  pp_sim_result r;
  assert_int_equal(pp_sim_transition(w, &o, &n, PP_SIM_TRACE, &r), PP_OK);
  assert_int_equal(r.output_toggles, 2); /* the glitch: up and down */
  assert_int_equal(r.out_values[0], 0);
  assert_true(fabs(r.settle_ps[0] - (chain + dxb_r)) < 1e-9);
  /* the trace holds y's rise at the XOR's delay on pin A */
  int seen = 0;
  for (long i = 0; i < r.n_trace; i++)
    if (r.trace[3 * i] == y && r.trace[3 * i + 2] == 1) {
      assert_int_equal(r.trace[3 * i + 1], dxa_r);
      seen = 1;
    }
  assert_true(seen);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  nb_free(&b);
}

/* Inertial mode swallows the same pulse when it is shorter than the next
 * stage's delay; transport passes it. */
static void test_inertial(void **st) {
  (void)st;
  nb b;
  nb_init(&b, LIB);
  int x = nb_input(&b, "x", 1);
  int n1 = nb_g1(&b, "BUF_X1", x);
  int y = nb_g2(&b, "XOR2_X1", x, n1); /* pulse as wide as one BUF */
  int z = nb_g1(&b, "BUF_X1", y);
  int u = nb_g2(&b, "AND2_X1", z, z);
  nb_output(&b, "u", &u, 1);
  nb_finish(&b);
  pp_err e;
  uint8_t o = 0, n = 1;
  pp_sim_result r;
  for (int inertial = 0; inertial < 2; inertial++) {
    pp_sim_model *m = model_of(&b.nl, inertial);
    pp_sim_ws *w;
    assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
    assert_int_equal(pp_sim_transition(w, &o, &n, PP_SIM_NET_DETAIL, &r), PP_OK);
    int da_r, da_f, db_r, db_f, dz_r, dz_f;
    pp_sim_arc_delay(m, 1, 0, 0, &da_r, &da_f);
    pp_sim_arc_delay(m, 1, 0, 1, &db_r, &db_f);
    int pulse = arc_r(m, 0) + db_r - da_r; /* y high from d_A to d(BUF) + d_B */
    pp_sim_arc_delay(m, 2, 0, 0, &dz_r, &dz_f);
    assert_int_equal(r.net_toggles[y], 2);
    if (!inertial) assert_int_equal(r.net_toggles[z], 2);
    else assert_int_equal(r.net_toggles[z], pulse >= dz_r ? 2 : 0);
    pp_sim_ws_free(w);
    pp_sim_model_free(m);
  }
  nb_free(&b);
}

/* Random circuits and transitions: event engine == time-stepped engine ==
 * the naive reference, net by net; zero-delay engines agree on values. */
static void test_random_engines_agree(void **st) {
  (void)st;
  pp_rng r;
  pp_rng_seed(&r, 2024);
  int circuits = getenv("PP_ASAN") ? 6 : 20;
  for (int c = 0; c < circuits; c++) {
    nb b;
    int n_in = 3 + (int)pp_rng_below(&r, 8);
    nb_random(&b, LIB, &r, n_in, 10 + (int)pp_rng_below(&r, 60));
    pp_sim_model *m = model_of(&b.nl, 0);
    pp_sim_ws *w;
    pp_err e;
    assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
    uint64_t ow[16] = {0}, nw[16] = {0};
    uint8_t ob[64][16], nbits[64][16];
    for (int l = 0; l < 64; l++)
      for (int i = 0; i < n_in; i++) {
        ob[l][i] = pp_rng_below(&r, 2);
        nbits[l][i] = l % 4 == 0 ? ob[l][i] : pp_rng_below(&r, 2); /* some lanes idle */
        if (ob[l][i]) ow[i] |= (uint64_t)1 << l;
        if (nbits[l][i]) nw[i] |= (uint64_t)1 << l;
      }
    pp_sim_ts_result tr;
    assert_int_equal(pp_sim_ts_run(w, ow, nw, PP_SIM_NET_DETAIL | PP_SIM_LANE_ENERGY, &tr), PP_OK);
    double lane_sw[64], lane_in[64], ts_sw = tr.switching_fj, ts_in = tr.internal_fj, ev_sw = 0, ev_in = 0;
    memcpy(lane_sw, tr.lane_switching_fj, sizeof lane_sw);
    memcpy(lane_in, tr.lane_internal_fj, sizeof lane_in);
    long *ts_ntog = calloc((size_t)b.nl.n_nets, sizeof(long));
    memcpy(ts_ntog, tr.net_toggles, (size_t)b.nl.n_nets * sizeof(long));
    int32_t *ts_settle = calloc((size_t)m->n_out_bits * 64, sizeof(int32_t));
    memcpy(ts_settle, tr.settle_ticks, (size_t)m->n_out_bits * 64 * sizeof(int32_t));
    long ts_total = tr.toggles, ev_total = 0;
    long *ev_ntog = calloc((size_t)b.nl.n_nets, sizeof(long));
    /* zero-delay values */
    uint64_t *vw = calloc((size_t)b.nl.n_nets, sizeof(uint64_t));
    pp_sim_bp_eval(m, nw, vw);
    long zd = pp_sim_bp_toggles(w, ow, nw, NULL);
    long zd_ref = 0;
    uint8_t *rv0 = calloc((size_t)b.nl.n_nets, 1), *rv1 = calloc((size_t)b.nl.n_nets, 1);
    for (int l = 0; l < 64; l++) {
      pp_sim_result res;
      assert_int_equal(pp_sim_transition(w, ob[l], nbits[l], PP_SIM_NET_DETAIL, &res), PP_OK);
      ref_out ro;
      ref_sim(m, ob[l], nbits[l], &ro);
      ref_zero_delay(m, ob[l], rv0);
      ref_zero_delay(m, nbits[l], rv1);
      for (int k = 0; k < b.nl.n_nets; k++) {
        assert_int_equal(res.net_toggles[k], ro.tog[k]);
        assert_true(fabs(res.net_last_ps[k] - ro.last[k]) < 1e-9);
        ev_ntog[k] += res.net_toggles[k];
        assert_int_equal((int)((vw[k] >> l) & 1), rv1[k]);
        zd_ref += rv0[k] != rv1[k];
      }
      assert_true(fabs(res.switching_fj - ro.sw) < 1e-6);
      assert_true(fabs(res.internal_fj - ro.in) < 1e-6);
      /* the time-stepped engine's energy per lane: same charges, summed in another order */
      assert_true(fabs(lane_sw[l] - res.switching_fj) <= 1e-9 * res.switching_fj);
      assert_true(fabs(lane_in[l] - res.internal_fj) <= 1e-9 * res.internal_fj);
      ev_sw += res.switching_fj, ev_in += res.internal_fj;
      for (int o = 0; o < m->n_out_bits; o++) {
        assert_true(fabs(res.settle_ps[o] - ts_settle[o * 64 + l]) < 1e-9);
        assert_int_equal(res.out_values[o], rv1[m->out_net[o]]);
      }
      ev_total += res.toggles;
      free(ro.tog);
      free(ro.last);
    }
    assert_int_equal(zd, zd_ref);
    assert_int_equal(ev_total, ts_total);
    assert_true(ev_sw > 0 && fabs(ts_sw - ev_sw) <= 1e-9 * ev_sw);
    assert_true(fabs(ts_in - ev_in) <= 1e-9 * ev_in);
    for (int k = 0; k < b.nl.n_nets; k++) assert_int_equal(ev_ntog[k], ts_ntog[k]);
    free(rv0), free(rv1), free(vw), free(ev_ntog), free(ts_ntog), free(ts_settle);
    pp_sim_ws_free(w);
    pp_sim_model_free(m);
    nb_free(&b);
  }
}

/* STA on hand-built paths: a NAND2 fed by a 2-inverter chain and directly;
 * the longest path is the chain, rise and fall tracked separately. */
static void test_sta_hand(void **st) {
  (void)st;
  nb b;
  nb_init(&b, LIB);
  int a = nb_input(&b, "a", 1);
  int c = nb_input(&b, "c", 1);
  int n1 = nb_g1(&b, "INV_X1", a);
  int n2 = nb_g1(&b, "INV_X1", n1);
  int y = nb_g2(&b, "NAND2_X1", n2, c);
  nb_output(&b, "y", &y, 1);
  nb_finish(&b);
  pp_sim_model *m = model_of(&b.nl, 0);
  pp_sta *s;
  pp_err e;
  assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
  int r0, f0, r1, f1, rA, fA, rB, fB;
  pp_sim_arc_delay(m, 0, 0, 0, &r0, &f0);
  pp_sim_arc_delay(m, 1, 0, 0, &r1, &f1);
  pp_sim_arc_delay(m, 2, 0, 0, &rA, &fA);
  pp_sim_arc_delay(m, 2, 0, 1, &rB, &fB);
  /* a rises: n1 falls at r0, n2 rises at r0+f1, y falls at +rA; a falls: f0 + r1 + fA */
  int up = r0 + f1 + rA, down = f0 + r1 + fA;
  int lng = up > down ? up : down, sht = up < down ? up : down;
  assert_true(fabs(s->max_ps[0] - lng) < 1e-9);
  assert_true(fabs(s->min_ps[0] - sht) < 1e-9);
  int lc = rB > fB ? rB : fB, sc = rB < fB ? rB : fB;
  assert_true(fabs(s->max_ps[1] - lc) < 1e-9);
  assert_true(fabs(s->min_ps[1] - sc) < 1e-9);
  assert_true(fabs(s->critical_ps - lng) < 1e-9);
  assert_int_equal(s->crit_in_bit, 0);
  assert_int_equal(s->crit_out_bit, 0);
  assert_int_equal(s->n_path, 4);
  assert_int_equal(s->path[0].gate, -1);
  assert_string_equal(s->path[1].cell, "INV_X1");
  assert_string_equal(s->path[3].cell, "NAND2_X1");
  assert_string_equal(s->path[3].in_pin, "A");
  assert_true(fabs(s->path[3].arrival_ps - lng) < 1e-9);
  double sum = 0;
  for (int i = 1; i < s->n_path; i++) sum += s->path[i].delay_ps;
  assert_true(fabs(sum - lng) < 1e-9);
  double per[1];
  assert_true(fabs(pp_sta_port_max(m, s, 1, per) - lc) < 1e-9);
  assert_true(fabs(per[0] - lc) < 1e-9);
  /* the dynamic engine reaches the STA bound on the a-rise edge */
  pp_sim_ws *w;
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  uint8_t o[2] = {0, 1}, n[2] = {1, 1};
  pp_sim_result r;
  pp_sim_transition(w, o, n, 0, &r);
  assert_true(fabs(r.settle_ps[0] - up) < 1e-9);
  pp_sim_ws_free(w);
  pp_sta_free(s);
  pp_sim_model_free(m);
  nb_free(&b);
}

static int ticks_of(double ps) {
  double t = floor(ps + 0.5);
  return t < 1 ? 1 : (int)t;
}

static const pp_lib_timing *timing_of(const pp_lib_cell *c, const char *in_pin) {
  const pp_lib_pin *o = &c->pins[c->outputs[0]];
  int ip = pp_lib_find_pin(c, in_pin);
  for (int t = 0; t < o->n_timings; t++)
    if (o->timings[t].related_pin == ip) return &o->timings[t];
  return NULL;
}

/* Shortest paths through a non-unate arc, by hand from the library's tables:
 * XOR2 (a, b) -> y, then INV -> z. The min to y is the faster of the XOR's
 * cell_rise and cell_fall (not the worst of four, which the longest path
 * keeps); the min to z follows each edge: y rises then z falls, or y falls
 * then z rises, the INV looked up at y's fastest slew of that edge. */
static void test_sta_min_non_unate(void **st) {
  (void)st;
  nb b;
  nb_init(&b, LIB);
  int a = nb_input(&b, "a", 1);
  int c = nb_input(&b, "b", 1);
  int y = nb_g2(&b, "XOR2_X1", a, c);
  int z = nb_g1(&b, "INV_X1", y);
  int outs[2] = {y, z};
  nb_output(&b, "y", outs, 2);
  nb_finish(&b);
  pp_sim_model *m = model_of(&b.nl, 0);
  pp_sta *s;
  pp_err e;
  assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
  const pp_lib_cell *xc = &LIB->cells[pp_lib_find_cell(LIB, "XOR2_X1")];
  const pp_lib_cell *ic = &LIB->cells[pp_lib_find_cell(LIB, "INV_X1")];
  const pp_lib_timing *tx = timing_of(xc, "A"), *ti = timing_of(ic, "A");
  assert_non_null(tx);
  assert_non_null(ti);
  assert_int_equal(tx->sense, PP_SENSE_NON_UNATE);
  double s0 = LIB->default_slew_ps, cy = b.nl.nets[y].load_ff, cz = b.nl.nets[z].load_ff;
  double xr = pp_lut_eval(&tx->cell_rise, s0, cy), xf = pp_lut_eval(&tx->cell_fall, s0, cy);
  double yr_slew = pp_lut_eval(&tx->rise_transition, s0, cy), yf_slew = pp_lut_eval(&tx->fall_transition, s0, cy);
  /* y rises (either input edge, cell_rise) then z falls; y falls then z rises */
  int via_rise = ticks_of(xr) + ticks_of(pp_lut_eval(&ti->cell_fall, yr_slew, cz));
  int via_fall = ticks_of(xf) + ticks_of(pp_lut_eval(&ti->cell_rise, yf_slew, cz));
  int min_y = ticks_of(xr) < ticks_of(xf) ? ticks_of(xr) : ticks_of(xf);
  int min_z = via_rise < via_fall ? via_rise : via_fall;
  int no = s->n_out_bits;
  assert_true(fabs(s->min_ps[0 * no + 0] - min_y) < 1e-9);
  assert_true(fabs(s->min_ps[0 * no + 1] - min_z) < 1e-9);
  /* the four edge pairs of the XOR arc are distinct lookups */
  int d4[4], dr, df;
  assert_int_equal(pp_sim_arc_min_delay(m, 0, 0, 0, d4), 0);
  assert_int_equal(d4[3], ticks_of(xr));
  assert_int_equal(d4[1], ticks_of(xr));
  assert_int_equal(d4[2], ticks_of(xf));
  assert_int_equal(d4[0], ticks_of(xf));
  /* the longest path keeps the engines' worst-of-four pin delay */
  pp_sim_arc_delay(m, 0, 0, 0, &dr, &df);
  assert_true(dr >= d4[3] && dr >= d4[2] && dr == df);
  assert_true(fabs(s->max_ps[0 * no + 0] - dr) < 1e-9);
  assert_true(s->min_ps[0] < s->max_ps[0]);
  /* an inverter has no path rise -> rise */
  assert_int_equal(pp_sim_arc_min_delay(m, 1, 0, 0, d4), 0);
  assert_int_equal(d4[3], -1);
  assert_int_equal(d4[0], -1);
  assert_true(d4[1] >= 1 && d4[2] >= 1);
  pp_sta_free(s);
  pp_sim_model_free(m);
  nb_free(&b);
}

/* rise_capacitance / fall_capacitance, by hand: a -> INV -> n -> LD -> y,
 * where LD's input presents 1 fF to a rising net, 5 fF to a falling one
 * (capacitance 3 fF, which energy keeps using). The INV's tables are linear
 * in the load: cell_rise = 2 + 10 C, cell_fall = 3 + 5 C (ps, C in fF). */
static const char *EDGE_LIB =
    "library(edge) {\n time_unit : \"1ps\";\n capacitive_load_unit(1, ff);\n pp_output_load : 0;\n"
    " lu_table_template(ld) { variable_1 : total_output_net_capacitance; index_1(\"0, 10\"); }\n"
    " cell(INV) { area : 1;\n  pin(A) { direction : input; capacitance : 1; }\n"
    "  pin(Y) { direction : output; function : \"!A\";\n"
    "   timing() { related_pin : \"A\"; timing_sense : negative_unate;\n"
    "    cell_rise(ld) { values(\"2, 102\"); } cell_fall(ld) { values(\"3, 53\"); }\n"
    "    rise_transition(ld) { values(\"1, 21\"); } fall_transition(ld) { values(\"1, 11\"); } } } }\n"
    " cell(LD) { area : 1;\n  pin(A) { direction : input; capacitance : 3; rise_capacitance : 1; fall_capacitance : 5; }\n"
    "  pin(Y) { direction : output; function : \"A\";\n"
    "   timing() { related_pin : \"A\"; timing_sense : positive_unate;\n"
    "    cell_rise(ld) { values(\"1, 1\"); } cell_fall(ld) { values(\"1, 1\"); } } } }\n"
    "}\n";

static void test_edge_loads(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  assert_int_equal(pp_lib_parse(EDGE_LIB, "edge.lib", &lib, &e), PP_OK);
  const pp_lib_pin *la = &lib->cells[pp_lib_find_cell(lib, "LD")].pins[0];
  assert_true(fabs(la->cap - 3) < 1e-12 && fabs(la->cap_rise - 1) < 1e-12 && fabs(la->cap_fall - 5) < 1e-12);
  const pp_lib_pin *ia = &lib->cells[pp_lib_find_cell(lib, "INV")].pins[0];
  assert_true(fabs(ia->cap_rise - 1) < 1e-12 && fabs(ia->cap_fall - 1) < 1e-12); /* fall back to capacitance */
  pp_netlist *nl;
  const char *v = "module t(a, y);\n input a;\n output y;\n wire n;\n INV u1(.A(a), .Y(n));\n LD u2(.A(n), .Y(y));\nendmodule\n";
  assert_int_equal(pp_netlist_parse(v, "t.v", lib, NULL, &nl, &e), PP_OK);
  int n = -1;
  for (int k = 0; k < nl->n_nets; k++)
    if (!strcmp(nl->nets[k].name, "n")) n = k;
  assert_true(n >= 0);
  assert_true(fabs(nl->nets[n].load_ff - 3) < 1e-12);
  assert_true(fabs(nl->nets[n].load_rise_ff - 1) < 1e-12);
  assert_true(fabs(nl->nets[n].load_fall_ff - 5) < 1e-12);
  pp_sim_model *m = model_of(nl, 0);
  int dr, df;
  assert_int_equal(pp_sim_arc_delay(m, 0, 0, 0, &dr, &df), 0);
  assert_int_equal(dr, 3 + 5 * 5); /* a rises: n falls into 5 fF */
  assert_int_equal(df, 2 + 10 * 1); /* a falls: n rises into 1 fF */
  double sr, sf;
  pp_sim_net_slew(m, n, &sr, &sf);
  assert_true(fabs(sr - (1 + 2 * 1)) < 1e-9 && fabs(sf - (1 + 1 * 5)) < 1e-9);
  pp_sta *s;
  assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
  assert_true(fabs(s->max_ps[0] - (28 + 1)) < 1e-9);
  assert_true(fabs(s->min_ps[0] - (12 + 1)) < 1e-9);
  pp_sta_free(s);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
}

/* Random circuits: every settle time is within [min, max] STA of the
 * switching inputs. */
static void test_settle_within_sta(void **st) {
  (void)st;
  pp_rng r;
  pp_rng_seed(&r, 99);
  for (int c = 0; c < 15; c++) {
    nb b;
    int n_in = 4 + (int)pp_rng_below(&r, 8);
    nb_random(&b, LIB, &r, n_in, 20 + (int)pp_rng_below(&r, 80));
    pp_sim_model *m = model_of(&b.nl, 0);
    pp_sta *s;
    pp_err e;
    assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
    pp_sim_ws *w;
    assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
    for (int t = 0; t < 100; t++) {
      uint8_t ob[16], nbits[16];
      for (int i = 0; i < n_in; i++) ob[i] = pp_rng_below(&r, 2), nbits[i] = pp_rng_below(&r, 2);
      pp_sim_result res;
      pp_sim_transition(w, ob, nbits, 0, &res);
      for (int o = 0; o < m->n_out_bits; o++) {
        if (res.settle_ps[o] == 0) continue;
        double mx = -1, mn = 1e30;
        for (int i = 0; i < n_in; i++) {
          if (ob[i] == nbits[i]) continue;
          double v = s->max_ps[i * s->n_out_bits + o];
          if (v > mx) mx = v;
          if (s->min_ps[i * s->n_out_bits + o] >= 0 && s->min_ps[i * s->n_out_bits + o] < mn)
            mn = s->min_ps[i * s->n_out_bits + o];
        }
        assert_true(res.settle_ps[o] <= mx + 1e-9);
        assert_true(res.settle_ps[o] >= mn - 1e-9);
        assert_true(res.settle_ps[o] <= s->critical_ps + 1e-9);
      }
    }
    pp_sim_ws_free(w);
    pp_sta_free(s);
    pp_sim_model_free(m);
    nb_free(&b);
  }
}

/* Port helpers: a 4-bit ripple adder of FA cells computes every sum. */
static void test_ports_adder(void **st) {
  (void)st;
  nb b;
  nb_init(&b, LIB);
  int a0 = nb_input(&b, "a", 4);
  int b0 = nb_input(&b, "b", 4);
  int zero_ci = nb_input(&b, "ci", 1);
  int s[5], carry = zero_ci;
  for (int i = 0; i < 4; i++) {
    int fa = nb_g3(&b, "FA_X1", a0 + i, b0 + i, carry);
    const pp_lib_cell *c = &LIB->cells[pp_lib_find_cell(LIB, "FA_X1")];
    /* outputs in the cell's order: find which is S */
    int so = !strcmp(c->pins[c->outputs[0]].name, "S") ? 0 : 1;
    s[i] = fa + so;
    carry = fa + (1 - so);
  }
  s[4] = carry;
  nb_output(&b, "s", s, 5);
  nb_finish(&b);
  pp_sim_model *m = model_of(&b.nl, 0);
  pp_sim_ws *w;
  pp_err e;
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  uint8_t o[9] = {0}, n[9] = {0};
  assert_int_equal(pp_sim_bits_set(m, n, "nope", 1, &e), PP_EINVAL);
  for (int x = 0; x < 16; x++)
    for (int y = 0; y < 16; y++) {
      pp_sim_bits_set(m, n, "a", x, &e);
      pp_sim_bits_set(m, n, "b", y, &e);
      pp_sim_result r;
      pp_sim_transition(w, o, n, 0, &r);
      assert_int_equal(pp_sim_output_value(w, 0, 0), x + y);
      memcpy(o, n, sizeof o);
    }
  pp_sim_bits_set(m, n, "a", -1, &e);
  assert_int_equal(n[0] + n[1] + n[2] + n[3], 4);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  nb_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prog_matches_truth), cmocka_unit_test(test_inverter_chain),
      cmocka_unit_test(test_glitch_pulse),       cmocka_unit_test(test_inertial),
      cmocka_unit_test(test_random_engines_agree), cmocka_unit_test(test_sta_hand),
      cmocka_unit_test(test_sta_min_non_unate), cmocka_unit_test(test_edge_loads),
      cmocka_unit_test(test_settle_within_sta),  cmocka_unit_test(test_ports_adder),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
