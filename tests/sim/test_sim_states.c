/* Tests of state-dependent power: Liberty `when` conditions on leakage_power
 * and internal_power read as truth tables, the group each input state
 * selects, the model's prices with every state equally likely and after
 * pp_sim_model_use_states, against hand computations; a library without
 * `when` groups is left exactly as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/sim.h"
#include "pp/verilog.h"
#include "sim/sim_internal.h"

/* The fixture (its comment says what each cell is for), read once. */
#define WHEN_PATH PP_SOURCE_DIR "/tests/sim/fixtures/when.lib"
static char *WHEN_LIB;

static int setup(void **st) {
  (void)st;
  size_t len;
  pp_err e;
  pp_err_clear(&e);
  return pp_read_file(WHEN_PATH, &WHEN_LIB, &len, &e) == PP_OK ? 0 : -1;
}

static int teardown(void **st) {
  (void)st;
  free(WHEN_LIB);
  return 0;
}

static const char *ND_V = "module t(a, b, y);\n input a, b;\n output y;\n ND u1(.A(a), .B(b), .Y(y));\nendmodule\n";

static pp_lib *read_lib(const char *text) {
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib = NULL;
  assert_int_equal(pp_lib_parse(text, "when.lib", &lib, &e), PP_OK);
  return lib;
}

static void test_when_read(void **st) {
  (void)st;
  pp_lib *lib = read_lib(WHEN_LIB);
  const pp_lib_cell *nd = &lib->cells[pp_lib_find_cell(lib, "ND")];
  assert_int_equal(nd->n_leaks, 4);
  assert_true(fabs(nd->leakage_nw - 5) < 1e-12); /* cell_leakage_power stays the state-free figure */
  const double want[4] = {1, 2, 3, 10};
  for (unsigned s = 0; s < 4; s++) assert_true(fabs(pp_lib_leakage_at(nd, s) - want[s]) < 1e-12);
  const pp_lib_pin *y = &nd->pins[pp_lib_find_pin(nd, "Y")];
  int a = pp_lib_find_pin(nd, "A"), b = pp_lib_find_pin(nd, "B");
  for (unsigned s = 0; s < 4; s++) {
    const pp_lib_power *pa = pp_lib_power_at(y, a, s), *pb = pp_lib_power_at(y, b, s);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_true(pa->has_when && !pb->has_when);
    assert_true(fabs(pp_lut_eval(&pa->rise_power, 0, 0) - ((s & 2) ? 4 : 1)) < 1e-12);
    assert_true(fabs(pp_lut_eval(&pb->rise_power, 0, 0) - 8) < 1e-12);
  }
  const pp_lib_cell *lk = &lib->cells[pp_lib_find_cell(lib, "LK")];
  assert_int_equal(lk->n_leaks, 1);
  assert_true(fabs(pp_lib_leakage_at(lk, 0) - 7) < 1e-12); /* A = 0: Y = 1, the group holds */
  assert_true(fabs(pp_lib_leakage_at(lk, 1) - 1) < 1e-12); /* a state no group covers: cell_leakage_power */
  pp_lib_free(lib);
}

/* A broken `when` names the file's line and what was wrong. */
static void test_when_errors(void **st) {
  (void)st;
  static const struct {
    const char *from, *to, *msg;
    int line;
  } cases[] = {
      {"when : \"A !B\"; value : 2;", "when : \"A !\"; value : 2;", "expression ends early", 15},
      {"when : \"!A B\"; value : 3;", "when : \"!A Q\"; value : 3;", "names 'Q', which is not a pin", 16},
      {"related_pin : \"A\"; when : \"B\";", "related_pin : \"A\"; when : \"(B\";", "expected ')'", 25},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(WHEN_LIB, cases[i].from);
    assert_non_null(at);
    size_t pre = (size_t)(at - WHEN_LIB), n = strlen(WHEN_LIB) + 64;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%.*s%s%s", (int)pre, WHEN_LIB, cases[i].to, at + strlen(cases[i].from));
    pp_err e;
    pp_err_clear(&e);
    pp_lib *lib = NULL;
    assert_int_equal(pp_lib_parse(t, "when.lib", &lib, &e), PP_EPARSE);
    if (!strstr(e.msg, cases[i].msg) || e.line != cases[i].line)
      fail_msg("case %zu: line %d, '%s'", i, e.line, e.msg);
    assert_null(lib);
    free(t);
  }
}

static pp_sim_model *model_of(const pp_netlist *nl) {
  pp_err e;
  pp_err_clear(&e);
  pp_sim_model *m = NULL;
  assert_int_equal(pp_sim_model_new(nl, NULL, &m, &e), PP_OK);
  return m;
}

static void test_when_prices(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib = read_lib(WHEN_LIB);
  pp_netlist *nl;
  assert_int_equal(pp_netlist_parse(ND_V, "t.v", lib, NULL, &nl, &e), PP_OK);
  pp_sim_model *m = model_of(nl);
  assert_int_equal(pp_sim_model_state_dependent(m), 1);
  /* as built: every state equally likely; an edge charged to A needs B = 1,
   * so only "when B" can price it */
  assert_true(fabs(pp_sim_leakage_nw(m) - (1 + 2 + 3 + 10) / 4.0) < 1e-12);
  int pa = m->node_pin0[0] + 0, pb = m->node_pin0[0] + 1;
  assert_true(fabs(m->pin_er[pa] - 4) < 1e-12 && fabs(m->pin_ef[pa] - 6) < 1e-12);
  assert_true(fabs(m->pin_er[pb] - 8) < 1e-12);

  /* the stimulus settles with b = 1 only: (a, b) = (0, 1), (1, 1), (1, 1) */
  int ia = pp_sim_input_bit(m, 0, 0), ib = pp_sim_input_bit(m, 1, 0);
  uint8_t v[3][2];
  memset(v, 0, sizeof v);
  v[0][ia] = 0, v[0][ib] = 1;
  v[1][ia] = 1, v[1][ib] = 1;
  v[2][ia] = 1, v[2][ib] = 1;
  assert_int_equal(pp_sim_model_use_states(m, &v[0][0], 3, &e), PP_OK);
  assert_true(fabs(pp_sim_leakage_nw(m) - (3 + 10 + 10) / 3.0) < 1e-12);
  assert_true(fabs(m->pin_er[pa] - 4) < 1e-12 && fabs(m->pin_ef[pa] - 6) < 1e-12);
  assert_true(fabs(m->pin_er[pb] - 8) < 1e-12);

  /* the engine charges what the state selected: a rises with b = 1, y falls */
  pp_sim_ws *w;
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  pp_sim_result r;
  assert_int_equal(pp_sim_transition(w, v[0], v[1], 0, &r), PP_OK);
  assert_true(fabs(r.internal_fj - 6) < 1e-12);
  pp_sim_ws_free(w);

  /* no vectors: nothing changes */
  assert_int_equal(pp_sim_model_use_states(m, NULL, 0, &e), PP_OK);
  assert_true(fabs(m->pin_er[pa] - 4) < 1e-12);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
}

/* The mux's select decides the output only where A != B; its two groups
 * are weighted by how often the stimulus settles in each of those states. */
static void test_when_select_weights(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib = read_lib(WHEN_LIB);
  pp_netlist *nl;
  const char *v = "module t(a, b, s, y);\n input a, b, s;\n output y;\n MX u1(.A(a), .B(b), .S(s), .Y(y));\nendmodule\n";
  assert_int_equal(pp_netlist_parse(v, "t.v", lib, NULL, &nl, &e), PP_OK);
  pp_sim_model *m = model_of(nl);
  int ps = m->node_pin0[0] + 2;
  assert_true(fabs(m->pin_er[ps] - 3.5) < 1e-12); /* (2 + 2 + 5 + 5) / 4 */
  int ia = pp_sim_input_bit(m, 0, 0), ib = pp_sim_input_bit(m, 1, 0), is = pp_sim_input_bit(m, 2, 0);
  uint8_t x[4][3];
  memset(x, 0, sizeof x);
  for (int k = 0; k < 4; k++) x[k][is] = (uint8_t)(k & 1);
  x[0][ia] = x[1][ia] = x[2][ia] = 1; /* three settle at A=1 B=0, one at A=0 B=1 */
  x[3][ib] = 1;
  assert_int_equal(pp_sim_model_use_states(m, &x[0][0], 4, &e), PP_OK);
  assert_true(fabs(m->pin_er[ps] - (3 * 2 + 5) / 4.0) < 1e-12);
  /* a stimulus that never sensitizes S: the states it could be charged in, equally */
  for (int k = 0; k < 4; k++) x[k][ia] = x[k][ib] = 1;
  assert_int_equal(pp_sim_model_use_states(m, &x[0][0], 4, &e), PP_OK);
  assert_true(fabs(m->pin_er[ps] - 3.5) < 1e-12);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
}

/* Our own library has no `when` groups: the model is the same to the bit
 * before and after pricing by states. */
static void test_no_when_unchanged(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  assert_int_equal(pp_lib_read(pp_lib_default_path(), &lib, &e), PP_OK);
  const char *v = "module t(a, b, y);\n input a, b;\n output y;\n wire n;\n NAND2_X1 u1(.A(a), .B(b), .Y(n));\n"
                  " INV_X1 u2(.A(n), .Y(y));\nendmodule\n";
  pp_netlist *nl;
  assert_int_equal(pp_netlist_parse(v, "t.v", lib, NULL, &nl, &e), PP_OK);
  pp_sim_model *m = model_of(nl);
  assert_int_equal(pp_sim_model_state_dependent(m), 0);
  double leak = pp_sim_leakage_nw(m), er = m->pin_er[0];
  uint8_t bits[2] = {1, 1};
  assert_int_equal(pp_sim_model_use_states(m, bits, 1, &e), PP_OK);
  assert_true(pp_sim_leakage_nw(m) == leak && m->pin_er[0] == er);
  const pp_lib_cell *c = &lib->cells[nl->gates[0].cell];
  assert_true(leak == c->leakage_nw + lib->cells[nl->gates[1].cell].leakage_nw);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_when_read),
      cmocka_unit_test(test_when_errors),
      cmocka_unit_test(test_when_prices),
      cmocka_unit_test(test_when_select_weights),
      cmocka_unit_test(test_no_when_unchanged),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
