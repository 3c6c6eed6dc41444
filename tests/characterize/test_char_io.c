/* Tests of the MAC input setup (pp_char_io) and the per-item parallel runner
 * (pp_char_parallel) that power, timing and the estimate check share: ports
 * and held weight, the energy of a tuple stream equal to driving the ports by
 * hand, the multiplier without p, and the error of the lowest failing item
 * whatever the thread count. */
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

static char g_dir[64];

static void load(unsigned parts, pp_char_mac *mac) {
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  s.gen.w_bits = 4;
  s.gen.a_bits = 4;
  s.gen.p_bits = 10;
  s.work_dir = g_dir;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_mac_load(&s, parts, mac, &e), PP_OK);
}

static void test_io_ports_and_weight(void **st) {
  (void)st;
  pp_char_mac mac;
  load(PP_CHAR_FULL | PP_CHAR_MULT, &mac);
  pp_err e;
  pp_err_clear(&e);
  pp_char_io io;
  assert_int_equal(pp_char_io_init(&io, mac.m[0], 1, -5, &e), PP_OK);
  const pp_netlist *nl = mac.nl[0];
  assert_int_equal(io.pw, pp_netlist_find_input(nl, "w"));
  assert_int_equal(io.pa, pp_netlist_find_input(nl, "a"));
  assert_int_equal(io.pp, pp_netlist_find_input(nl, "p"));
  /* the weight's bits (4-bit two's complement of -5 = 1011) in both vectors */
  for (int b = 0; b < 4; b++) {
    int bit = pp_sim_input_bit(mac.m[0], io.pw, b);
    assert_int_equal(io.old_bits[bit], ((unsigned)-5 >> b) & 1);
    assert_int_equal(io.new_bits[bit], ((unsigned)-5 >> b) & 1);
  }
  pp_char_io_set(&io, 3, 12, -7, 200);
  for (int b = 0; b < 4; b++) {
    int bit = pp_sim_input_bit(mac.m[0], io.pa, b);
    assert_int_equal(io.old_bits[bit], (3 >> b) & 1);
    assert_int_equal(io.new_bits[bit], (12 >> b) & 1);
  }
  for (int b = 0; b < 10; b++) {
    int bit = pp_sim_input_bit(mac.m[0], io.pp, b);
    assert_int_equal(io.old_bits[bit], ((unsigned)-7 >> b) & 1);
    assert_int_equal(io.new_bits[bit], (200 >> b) & 1);
  }
  pp_char_io_free(&io);
  /* the multiplier has no p: fine without it, an error naming it with */
  assert_int_equal(pp_char_io_init(&io, mac.m[1], 0, 3, &e), PP_OK);
  assert_int_equal(io.pp, -1);
  pp_char_io_set(&io, 1, 2, 99, 99); /* p ignored */
  pp_char_io_free(&io);
  assert_int_equal(pp_char_io_init(&io, mac.m[1], 1, 3, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "needs inputs w, a, p"));
  assert_non_null(strstr(e.msg, mac.nl[1]->top));
  assert_null(io.old_bits);
  pp_char_mac_free(&mac);
}

/* pp_char_weight_energy_event (through pp_char_io) against driving the ports by
 * hand with the simulator alone. */
static void test_energy_by_hand(void **st) {
  (void)st;
  pp_char_mac mac;
  load(PP_CHAR_FULL, &mac);
  const pp_sim_model *m = mac.m[0];
  const size_t T = 30;
  pp_char_tuple t[30];
  pp_char_uniform_tuples(4, 10, T, 5, t);
  pp_err e;
  pp_err_clear(&e);
  pp_sim_ws *ws;
  assert_int_equal(pp_sim_ws_new(m, &ws, &e), PP_OK);
  const pp_netlist *nl = pp_sim_netlist(m);
  int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
  size_t nb = (size_t)pp_sim_n_input_bits(m);
  uint8_t *o = calloc(nb, 1), *n = calloc(nb, 1);
  assert_true(o && n);
  for (int w = -7; w <= 7; w += 7) {
    double mean, fast;
    assert_int_equal(pp_char_weight_energy_event(m, ws, w, t, T, &mean, &e), PP_OK);
    assert_int_equal(pp_char_weight_energy(m, ws, w, t, T, &fast, &e), PP_OK); /* time-stepped */
    double sum = 0;
    for (size_t i = 0; i < T; i++) {
      memset(o, 0, nb);
      memset(n, 0, nb);
      pp_sim_bits_set_port(m, o, pw, w);
      pp_sim_bits_set_port(m, n, pw, w);
      pp_sim_bits_set_port(m, o, pa, t[i].a_old);
      pp_sim_bits_set_port(m, n, pa, t[i].a_new);
      pp_sim_bits_set_port(m, o, pp, t[i].p_old);
      pp_sim_bits_set_port(m, n, pp, t[i].p_new);
      pp_sim_result r;
      assert_int_equal(pp_sim_transition(ws, o, n, 0, &r), PP_OK);
      sum += r.energy_fj;
    }
    assert_true(mean == sum / (double)T); /* same transitions in the same order */
    assert_true(fabs(fast - mean) <= 1e-9 * mean);
    if (w) assert_true(mean > 0);
  }
  free(o);
  free(n);
  pp_sim_ws_free(ws);
  pp_char_mac_free(&mac);
}

typedef struct {
  int *ran;
  int fail_a, fail_b;
} par_ctx;

static int item(void *ctx, pp_sim_ws *ws, int i, pp_err *e) {
  par_ctx *c = ctx;
  assert_non_null(ws);
#pragma omp atomic
  c->ran[i]++;
  if (i == c->fail_a || i == c->fail_b) return pp_err_set(e, i == c->fail_a ? PP_ECHECK : PP_EPARSE, NULL, 0, "item %d", i);
  return PP_OK;
}

static void test_parallel(void **st) {
  (void)st;
  pp_char_mac mac;
  load(PP_CHAR_FULL, &mac);
  int ran[40];
  for (int threads = 1; threads <= 3; threads++) {
    omp_set_num_threads(threads);
    memset(ran, 0, sizeof ran);
    par_ctx c = {ran, 23, 9};
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_char_parallel(mac.m[0], 40, item, &c, NULL, &e), PP_EPARSE); /* item 9, the lowest */
    assert_string_equal(e.msg, "item 9");
    for (int i = 0; i < 40; i++) assert_int_equal(ran[i], 1); /* every item once */
    memset(ran, 0, sizeof ran);
    c.fail_a = c.fail_b = -1;
    pp_err_clear(&e);
    pp_progress prog;
    pp_progress_start(&prog, "test", 40);
    assert_int_equal(pp_char_parallel(mac.m[0], 40, item, &c, &prog, &e), PP_OK);
    pp_progress_end(&prog);
    assert_int_equal(e.status, PP_OK);
    for (int i = 0; i < 40; i++) assert_int_equal(ran[i], 1);
    assert_int_equal(pp_char_parallel(mac.m[0], 0, item, &c, NULL, &e), PP_OK);
  }
  pp_char_mac_free(&mac);
}

static int setup(void **st) {
  (void)st;
  snprintf(g_dir, sizeof g_dir, "/tmp/pp_char_io_XXXXXX");
  return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **st) {
  (void)st;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_io_ports_and_weight),
      cmocka_unit_test(test_energy_by_hand),
      cmocka_unit_test(test_parallel),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
