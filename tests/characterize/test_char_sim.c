/* Tests of power and timing characterization on small generated MACs: P[0]
 * is the lowest, tables are deterministic (also across thread counts), the
 * bit-parallel timing kernel equals the event-driven reference, and the
 * delay invariants of the split analysis hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/characterize.h"
#include "pp/macgen.h"
#include "pp/util_mem.h"
#include "pp_test.h"

static char g_dir[64];

static void load(int wb, int ab, int pb, int mult, unsigned parts, pp_char_mac *mac) {
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  s.gen.w_bits = wb;
  s.gen.a_bits = ab;
  s.gen.p_bits = pb;
  s.gen.mult = mult;
  s.work_dir = g_dir;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_char_mac_load(&s, parts, mac, &e);
  if (rc) {
    char b[1200];
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
  }
  assert_int_equal(rc, PP_OK);
}

static void test_fig5_example(void **st) {
  (void)st;
  /* the paper's Fig. 5: t = 5, 8, 0, 0; d = 4, 3, 2, 1; d_psum = 6 -> 11 */
  double t[4] = {5, 8, 0, 0}, d[4] = {4, 3, 2, 1};
  assert_true(pp_char_mac_delay(t, d, 4, 6) == 11);
  double z[4] = {0, 0, 0, 0};
  assert_true(pp_char_mac_delay(z, d, 4, 6) == 6); /* nothing toggles: the psum path */
  double big[4] = {0, 0, 0, 0};
  double dd[4] = {0, 0, 0, 50};
  assert_true(pp_char_mac_delay(big, dd, 4, 6) == 6); /* unsensitized bits do not count */
}

static void test_power_table(void **st) {
  (void)st;
  pp_char_mac mac;
  load(4, 4, 10, PP_MULT_ARRAY, PP_CHAR_FULL, &mac);
  const size_t T = getenv("PP_ASAN") ? 40 : 120;
  pp_char_tuple *t = calloc(T, sizeof *t);
  pp_char_uniform_tuples(4, 10, T, 11, t);
  for (size_t i = 0; i < T; i++) {
    assert_true(t[i].a_old < 16 && t[i].a_new < 16);
    assert_true(t[i].p_old >= -512 && t[i].p_old < 512);
  }
  pp_err e;
  pp_err_clear(&e);
  pp_char_power p1, p2;
  omp_set_num_threads(2);
  assert_int_equal(pp_char_power_run(mac.m[0], t, T, 500, &p1, &e), PP_OK);
  omp_set_num_threads(1);
  assert_int_equal(pp_char_power_run(mac.m[0], t, T, 500, &p2, &e), PP_OK);
  omp_set_num_threads(2);
  assert_int_equal(p1.w_min, -7);
  assert_int_equal(p1.n_w, 15);
  assert_memory_equal(p1.dyn_uw, p2.dyn_uw, sizeof p1.dyn_uw); /* bit-identical across thread counts */
  /* weight 0 is the cheapest */
  for (int w = -7; w <= 7; w++)
    if (w) assert_true(p1.dyn_uw[w + 7] > p1.dyn_uw[7]);
  assert_true(p1.leak_uw > 0 && fabs(p1.leak_uw - pp_sim_leakage_nw(mac.m[0]) / 1000) < 1e-12);
  /* P = mean energy / clock: check one weight against the kernel */
  pp_sim_ws *ws;
  assert_int_equal(pp_sim_ws_new(mac.m[0], &ws, &e), PP_OK);
  double mean;
  assert_int_equal(pp_char_weight_energy(mac.m[0], ws, 3, t, T, &mean, &e), PP_OK);
  assert_true(fabs(p1.dyn_uw[10] - mean / 500 * 1000) < 1e-9 * p1.dyn_uw[10]);
  /* and the kernel against single transitions summed by hand */
  double sum = 0;
  uint8_t *o = calloc((size_t)pp_sim_n_input_bits(mac.m[0]), 1), *n = calloc((size_t)pp_sim_n_input_bits(mac.m[0]), 1);
  for (size_t i = 0; i < T; i++) {
    assert_int_equal(pp_sim_bits_set(mac.m[0], o, "w", 3, &e), PP_OK);
    assert_int_equal(pp_sim_bits_set(mac.m[0], n, "w", 3, &e), PP_OK);
    pp_sim_bits_set(mac.m[0], o, "a", t[i].a_old, &e);
    pp_sim_bits_set(mac.m[0], n, "a", t[i].a_new, &e);
    pp_sim_bits_set(mac.m[0], o, "p", t[i].p_old, &e);
    pp_sim_bits_set(mac.m[0], n, "p", t[i].p_new, &e);
    pp_sim_result r;
    assert_int_equal(pp_sim_transition(ws, o, n, 0, &r), PP_OK);
    sum += r.energy_fj;
  }
  assert_true(fabs(sum / T - mean) < 1e-9 * mean);
  free(o);
  free(n);
  pp_sim_ws_free(ws);
  /* another seed gives another (but similar) table */
  pp_char_uniform_tuples(4, 10, T, 12, t);
  assert_int_equal(pp_char_power_run(mac.m[0], t, T, 500, &p2, &e), PP_OK);
  assert_true(memcmp(p1.dyn_uw, p2.dyn_uw, sizeof p1.dyn_uw) != 0);
  free(t);
  pp_char_mac_free(&mac);
}

/* The time-stepped engine's mean energy per weight against the event
 * engine (the reference) on the 8-bit MACs (array/ripple and booth), a tuple
 * count that leaves a partial last batch; an inertial model falls back to
 * the event engine. */
static void test_power_engines_agree(void **st) {
  (void)st;
  const size_t T = getenv("PP_ASAN") ? 300 : 700;
  pp_char_tuple *t = calloc(T, sizeof *t);
  pp_char_uniform_tuples(8, 22, T, 5, t);
  pp_err e;
  pp_err_clear(&e);
  for (int mult = 0; mult < 2; mult++) {
    pp_char_mac mac;
    load(8, 8, 22, mult ? PP_MULT_BOOTH : PP_MULT_ARRAY, PP_CHAR_FULL, &mac);
    pp_sim_ws *ws;
    assert_int_equal(pp_sim_ws_new(mac.m[0], &ws, &e), PP_OK);
    assert_true(pp_sim_ts_exact(mac.m[0]));
    static const int ws_list[] = {-127, -64, -1, 0, 1, 3, 77, 127};
    for (size_t k = 0; k < sizeof ws_list / sizeof ws_list[0]; k++) {
      double a, b;
      assert_int_equal(pp_char_weight_energy_ts(mac.m[0], ws, ws_list[k], t, T, &a, &e), PP_OK);
      assert_int_equal(pp_char_weight_energy_event(mac.m[0], ws, ws_list[k], t, T, &b, &e), PP_OK);
      assert_true(b > 0);
      assert_true(fabs(a - b) <= 1e-9 * b);
    }
    pp_sim_opts o;
    pp_sim_opts_default(&o);
    o.inertial = 1;
    pp_sim_model *mi;
    pp_sim_ws *wi;
    assert_int_equal(pp_sim_model_new(pp_sim_netlist(mac.m[0]), &o, &mi, &e), PP_OK);
    assert_int_equal(pp_sim_ws_new(mi, &wi, &e), PP_OK);
    assert_false(pp_sim_ts_exact(mi));
    double a, b;
    assert_int_equal(pp_char_weight_energy_ts(mi, wi, 5, t, 10, &a, &e), PP_EINVAL);
    assert_int_equal(pp_char_weight_energy(mi, wi, 5, t, 10, &a, &e), PP_OK);
    assert_int_equal(pp_char_weight_energy_event(mi, wi, 5, t, 10, &b, &e), PP_OK);
    assert_true(a == b);
    pp_sim_ws_free(wi);
    pp_sim_model_free(mi);
    pp_sim_ws_free(ws);
    pp_char_mac_free(&mac);
  }
  free(t);
}

static void check_timing(int mult) {
  pp_char_mac mac;
  load(4, 4, 10, mult, PP_CHAR_FULL | PP_CHAR_MULT | PP_CHAR_ADDER, &mac);
  pp_err e;
  pp_err_clear(&e);
  pp_char_delay t1, t2;
  omp_set_num_threads(2);
  assert_int_equal(pp_char_timing_run(mac.m[1], mac.m[2], mac.m[0], &t1, &e), PP_OK);
  omp_set_num_threads(1);
  assert_int_equal(pp_char_timing_run(mac.m[1], mac.m[2], NULL, &t2, &e), PP_OK);
  omp_set_num_threads(2);
  assert_int_equal(t1.n_w, 15);
  assert_int_equal(t1.n_a, 16);
  assert_memory_equal(t1.d, t2.d, (size_t)15 * 256 * 2);
  pp_char_delay_free(&t2);
  pp_char_adder_sta ad;
  assert_int_equal(pp_char_adder_sta_run(mac.m[2], &ad, &e), PP_OK);
  assert_int_equal(ad.n_prod, 8);
  assert_true(t1.d_psum_ps == (unsigned)ceil(ad.d_psum - 1e-9));
  /* the fast kernel equals the event-driven reference on every transition */
  uint16_t pairs[256], ref[256];
  for (int k = 0; k < 256; k++) pairs[k] = (uint16_t)((k / 16) << 8 | (k % 16));
  unsigned upper = (unsigned)ceil(t1.sta_mult_ps + ad.max_d_bits - 1e-9);
  int above_psum = 0;
  for (int w = -7; w <= 7; w++) {
    assert_int_equal(pp_char_timing_ref(mac.m[1], &ad, w, pairs, 256, ref, &e), PP_OK);
    for (int k = 0; k < 256; k++) {
      int a = k / 16, b = k % 16;
      uint16_t d = pp_char_delay_at(&t1, w, a, b);
      assert_int_equal(d, ref[k]);
      /* split-analysis invariants: d_psum <= D <= STA(mult) + max_i d_i */
      assert_true(d >= t1.d_psum_ps && d <= upper);
      if (a == b || w == 0) assert_int_equal(d, t1.d_psum_ps); /* nothing in the multiplier moves */
      above_psum += d > t1.d_psum_ps;
    }
  }
  assert_true(above_psum > 0); /* the multiplier does matter */
  /* the table file round-trips */
  char path[128];
  snprintf(path, sizeof path, "%s/delay.bin", g_dir);
  assert_int_equal(pp_char_delay_write(&t1, path, &e), PP_OK);
  assert_int_equal(pp_char_delay_read(path, &t2, &e), PP_OK);
  assert_memory_equal(t1.d, t2.d, (size_t)15 * 256 * 2);
  assert_true(t2.sta_mac_ps == t1.sta_mac_ps && t2.sta_mac_ps > 0);
  remove(path);
  pp_char_delay_free(&t2);
  pp_char_delay_free(&t1);
  pp_char_mac_free(&mac);
}

static void test_timing_array(void **st) {
  (void)st;
  check_timing(PP_MULT_ARRAY);
}

static void test_timing_booth(void **st) {
  (void)st;
  check_timing(PP_MULT_BOOTH);
}

static void test_bad_netlists(void **st) {
  (void)st;
  pp_char_mac mac;
  load(4, 4, 10, PP_MULT_ARRAY, PP_CHAR_FULL | PP_CHAR_MULT | PP_CHAR_ADDER, &mac);
  pp_err e;
  pp_err_clear(&e);
  pp_char_delay t;
  /* parts swapped: a clear error, not a crash */
  assert_int_equal(pp_char_timing_run(mac.m[2], mac.m[1], NULL, &t, &e), PP_EINVAL);
  pp_err_clear(&e);
  pp_char_tuple tu = {1, 2, 3, 4};
  pp_char_power p;
  assert_int_equal(pp_char_power_run(mac.m[1], &tu, 1, 500, &p, &e), PP_EINVAL); /* multiplier is not a MAC */
  pp_err_clear(&e);
  assert_int_equal(pp_char_power_run(mac.m[0], &tu, 1, 0, &p, &e), PP_EINVAL);
  pp_char_mac_free(&mac);
}

static void test_trace_tuples(void **st) {
  (void)st;
  pp_array_stats *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->size = 4;
  s->bins = 1;
  s->psum_bits = pp_array_psum_bits(4);
  pp_array_tuple res[50];
  for (int i = 0; i < 50; i++) {
    res[i].a_old = (uint8_t)i;
    res[i].a_new = (uint8_t)(i + 100);
    res[i].p_old = 1000 + i;
    res[i].p_new = 2000 + i;
  }
  s->res = res;
  s->nres = 50;
  enum { T = 400 };
  pp_char_tuple j[T], sh[T];
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_trace_tuples(s, T, 9, 1, j, &e), PP_OK);
  assert_int_equal(pp_char_trace_tuples(s, T, 9, 2, sh, &e), PP_OK);
  int paired = 0;
  long sa_j = 0, sa_s = 0, sp_j = 0, sp_s = 0;
  for (int i = 0; i < T; i++) {
    assert_int_equal(j[i].a_new, j[i].a_old + 100); /* joint: a tuple of the reservoir */
    assert_int_equal(j[i].p_old, 1000 + j[i].a_old);
    assert_int_equal(sh[i].a_new, sh[i].a_old + 100); /* each side stays a real transition */
    assert_int_equal(sh[i].p_new, sh[i].p_old + 1000);
    paired += sh[i].p_old == 1000 + sh[i].a_old;
    sa_j += j[i].a_old;
    sa_s += sh[i].a_old;
    sp_j += j[i].p_old;
    sp_s += sh[i].p_old;
  }
  assert_true(sa_j == sa_s && sp_j == sp_s); /* same marginals */
  assert_true(paired < T / 5);               /* pairing broken */
  s->res = NULL;
  free(s);
}

/* A library whose NAND2 leaks 20 nW with both inputs high (cell_leakage_power,
 * 6.4, in every other state): the table's leakage is priced for the states
 * the stimulus settles in under every weight, counted here independently by
 * zero-delay evaluation; as built, every state is equally likely. */
static void test_power_when_leakage(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  char *text;
  size_t len;
  assert_int_equal(pp_read_file(pp_lib_default_path(), &text, &len, &e), PP_OK);
  const char *key = "cell (NAND2_X1) {\n    area : 0.05832;\n    cell_leakage_power : 6.4;\n";
  char *at = strstr(text, key);
  assert_non_null(at);
  char lib_path[128];
  snprintf(lib_path, sizeof lib_path, "%s/when.lib", g_dir);
  FILE *f = fopen(lib_path, "w");
  assert_non_null(f);
  fwrite(text, 1, (size_t)(at - text) + strlen(key), f);
  fputs("    leakage_power () { when : \"A B\"; value : 20; }\n", f);
  fputs(at + strlen(key), f);
  fclose(f);
  free(text);

  pp_char_mac_spec sp;
  pp_char_mac_spec_default(&sp);
  sp.lib_path = lib_path;
  sp.gen.w_bits = 4, sp.gen.a_bits = 4, sp.gen.p_bits = 10, sp.gen.mult = PP_MULT_BOOTH;
  sp.work_dir = g_dir;
  pp_char_mac mac;
  assert_int_equal(pp_char_mac_load(&sp, PP_CHAR_FULL, &mac, &e), PP_OK);
  pp_sim_model *m = mac.m[0];
  const pp_netlist *nl = pp_sim_netlist(m);
  int nand = pp_lib_find_cell(mac.lib, "NAND2_X1"), n_nand = 0;
  double base = 0;
  for (int g = 0; g < nl->n_gates; g++) {
    base += mac.lib->cells[nl->gates[g].cell].leakage_nw;
    n_nand += nl->gates[g].cell == nand;
  }
  assert_true(n_nand > 0);
  assert_int_equal(pp_sim_model_state_dependent(m), 1);
  assert_true(fabs(pp_sim_leakage_nw(m) - (base + n_nand * (20 - 6.4) / 4)) < 1e-9);

  const size_t T = 60; /* below PP_CHAR_STATE_TUPLES: every tuple's new vector counts */
  pp_char_tuple *t = calloc(T, sizeof *t);
  assert_non_null(t);
  pp_char_uniform_tuples(4, 10, T, 5, t);
  /* the reference: both inputs of each NAND2 high, over weights x tuples */
  int nb = pp_sim_n_input_bits(m), nn = nl->n_nets, pw = pp_netlist_find_input(nl, "w");
  int pa = pp_netlist_find_input(nl, "a"), pq = pp_netlist_find_input(nl, "p");
  uint64_t *in = calloc((size_t)nb, sizeof *in), *v = calloc((size_t)nn, sizeof *v);
  assert_true(in && v);
  double high = 0, n_vec = 0;
  for (int w = -7; w <= 7; w++)
    for (size_t i = 0; i < T; i++) {
      memset(in, 0, (size_t)nb * sizeof *in);
      pp_sim_words_set_port(m, in, pw, 0, w);
      pp_sim_words_set_port(m, in, pa, 0, t[i].a_new);
      pp_sim_words_set_port(m, in, pq, 0, t[i].p_new);
      pp_sim_bp_eval(m, in, v);
      for (int g = 0; g < nl->n_gates; g++)
        if (nl->gates[g].cell == nand) high += (double)(v[nl->gates[g].in[0]] & v[nl->gates[g].in[1]] & 1);
      n_vec++;
    }
  pp_char_power p;
  assert_int_equal(pp_char_power_run(m, t, T, 500, &p, &e), PP_OK);
  double want = base + (20 - 6.4) * high / n_vec;
  assert_true(fabs(p.leak_uw * 1000 - want) < 1e-9 * want);
  assert_true(fabs(want - (base + n_nand * (20 - 6.4) / 4)) > 5); /* the states are not uniform (15 nW apart) */
  PP_FREE_ALL(in, v, t);
  pp_char_mac_free(&mac);
  remove(lib_path);
}

int main(void) {
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_charsim")) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fig5_example), cmocka_unit_test(test_power_table),
      cmocka_unit_test(test_power_engines_agree), cmocka_unit_test(test_power_when_leakage),
      cmocka_unit_test(test_timing_array), cmocka_unit_test(test_timing_booth),
      cmocka_unit_test(test_bad_netlists), cmocka_unit_test(test_trace_tuples),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  if (pp_test_rmtree(g_dir)) {
    fprintf(stderr, "could not remove %s\n", g_dir);
    rc |= 1;
  }
  return rc;
}
