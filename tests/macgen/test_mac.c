/* Tests of the MAC generator and the exhaustive checker: every architecture
 * and several widths are exact, a broken netlist is caught, other libraries
 * work through cells found by function, and the CLI's JSON says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/verilog.h"
#include "pp_test.h"

static pp_lib *g_lib;
static char g_tmp[256], g_dir[128]; /* g_dir: the CLI's captured output */

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  snprintf(g_tmp, sizeof g_tmp, "/tmp/pp_test_mac_%ld.v", (long)getpid());
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_test_mac")) return -1;
  return pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &g_lib, &e);
}

static int teardown(void **st) {
  (void)st;
  pp_lib_free(g_lib);
  remove(g_tmp);
  return pp_test_rmtree(g_dir);
}

static int asan(void) { return getenv("PP_ASAN") != NULL; }

/* Generates, reads back and checks; returns the result. */
static pp_mac_check_result gen_check(const pp_lib *lib, const pp_mac_opts *o, pp_netlist **keep) {
  pp_err e;
  pp_err_clear(&e);
  char buf[1200];
  if (pp_mac_generate(o, lib, g_tmp, &e)) fail_msg("generate: %s", pp_err_format(&e, buf, sizeof buf));
  pp_netlist *nl;
  if (pp_netlist_read(g_tmp, lib, NULL, &nl, &e)) fail_msg("read: %s", pp_err_format(&e, buf, sizeof buf));
  pp_mac_check_result r;
  if (pp_mac_check(nl, 7, &r, &e)) fail_msg("check: %s", pp_err_format(&e, buf, sizeof buf));
  if (keep)
    *keep = nl;
  else
    pp_netlist_free(nl);
  return r;
}

static void test_default_architectures(void **st) {
  (void)st;
  for (int m = 0; m < 2; m++)
    for (int a = 0; a < 2; a++) {
      pp_mac_opts o;
      pp_mac_opts_default(&o);
      o.mult = m;
      o.adder = a;
      pp_netlist *nl;
      pp_mac_check_result r = gen_check(g_lib, &o, &nl);
      assert_int_equal(r.part, PP_MAC_FULL);
      assert_int_equal(r.w_bits, 8);
      assert_int_equal(r.a_bits, 8);
      assert_int_equal(r.p_bits, 22);
      assert_int_equal(r.pairs_checked, 65536);
      assert_true(r.vectors_checked > 65536);
      if (r.mismatches)
        fail_msg("mult %d adder %d: %lld mismatches, first w=%lld a=%lld p=%lld", m, a, r.mismatches, r.bad_w,
                 r.bad_a, r.bad_p);
      /* only cells of the library, no sequential ones; a real amount of logic */
      assert_true(nl->n_gates > 100);
      for (int k = 0; k < nl->n_gates; k++) assert_false(g_lib->cells[nl->gates[k].cell].is_sequential);
      pp_netlist_free(nl);
    }
}

static void test_widths_and_parts(void **st) {
  (void)st;
  static const int widths[][3] = {{2, 2, 4}, {3, 5, 8}, {5, 3, 12}, {8, 2, 10}, {2, 8, 11}, {7, 8, 22}, {8, 7, 15}};
  size_t nw = sizeof widths / sizeof widths[0];
  if (asan()) nw = 4; /* fewer widths under the sanitizer, same assertions */
  for (size_t i = 0; i < nw; i++)
    for (int m = 0; m < 2; m++)
      for (int a = 0; a < 2; a++)
        for (int part = 0; part < 3; part++) {
          pp_mac_opts o;
          pp_mac_opts_default(&o);
          o.w_bits = widths[i][0];
          o.a_bits = widths[i][1];
          o.p_bits = widths[i][2];
          o.mult = m;
          o.adder = a;
          o.part = part;
          pp_mac_check_result r = gen_check(g_lib, &o, NULL);
          assert_int_equal(r.part, part);
          long long want = part == PP_MAC_ADDER ? 1LL << (o.w_bits + o.a_bits) : 1LL << (o.w_bits + o.a_bits);
          assert_int_equal(r.pairs_checked, want);
          if (r.mismatches)
            fail_msg("w%d a%d p%d mult %d adder %d part %d: %lld mismatches", o.w_bits, o.a_bits, o.p_bits, m, a,
                     part, r.mismatches);
        }
}

/* Reference evaluator against the bit-parallel one on a whole MAC. */
static void test_eval64_on_mac(void **st) {
  (void)st;
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  o.mult = PP_MULT_BOOTH;
  o.adder = PP_ADDER_PREFIX;
  pp_netlist *nl;
  gen_check(g_lib, &o, &nl);
  uint64_t *w = calloc((size_t)nl->n_nets, sizeof(uint64_t));
  uint8_t *v = calloc((size_t)nl->n_nets, 1);
  pp_rng g;
  pp_rng_seed(&g, 3);
  for (int round = 0; round < 4; round++) {
    for (int p = 0; p < nl->n_inputs; p++)
      for (int b = 0; b < nl->inputs[p].width; b++) w[nl->inputs[p].bits[b]] = pp_rng_u64(&g);
    pp_netlist_eval64(nl, w);
    for (int lane = 0; lane < 64; lane++) {
      for (int p = 0; p < nl->n_inputs; p++)
        for (int b = 0; b < nl->inputs[p].width; b++)
          v[nl->inputs[p].bits[b]] = (w[nl->inputs[p].bits[b]] >> lane) & 1;
      pp_netlist_eval(nl, v);
      for (int n = 0; n < nl->n_nets; n++) assert_int_equal((w[n] >> lane) & 1, v[n]);
    }
  }
  free(w);
  free(v);
  pp_netlist_free(nl);
}

/* The writer keeps a MAC exact: generate, read, write back, read, check. */
static void test_write_roundtrip(void **st) {
  (void)st;
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  o.mult = PP_MULT_BOOTH;
  pp_netlist *nl;
  gen_check(g_lib, &o, &nl);
  pp_err e;
  pp_err_clear(&e);
  char path[300], buf[1200];
  snprintf(path, sizeof path, "%s.rt.v", g_tmp);
  assert_int_equal(pp_netlist_write_verilog(nl, path, &e), PP_OK);
  pp_netlist *back;
  if (pp_netlist_read(path, g_lib, NULL, &back, &e)) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
  assert_int_equal(back->n_gates, nl->n_gates);
  assert_int_equal(back->n_levels, nl->n_levels);
  pp_mac_check_result r;
  assert_int_equal(pp_mac_check(back, 9, &r, &e), PP_OK);
  assert_int_equal(r.pairs_checked, 65536);
  assert_int_equal(r.mismatches, 0);
  remove(path);
  pp_netlist_free(back);
  pp_netlist_free(nl);
}

/* A wrong gate is found, and named by the first mismatching vector. */
static void test_check_catches_errors(void **st) {
  (void)st;
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  pp_netlist *nl;
  gen_check(g_lib, &o, &nl);
  int xn = pp_lib_find_cell(g_lib, "XNOR2_X1"), x = pp_lib_find_cell(g_lib, "XOR2_X1");
  int k = 0;
  while (k < nl->n_gates && nl->gates[k].cell != x) k++;
  assert_true(k < nl->n_gates);
  nl->gates[k].cell = xn;
  pp_err e;
  pp_err_clear(&e);
  pp_mac_check_result r;
  assert_int_equal(pp_mac_check(nl, 7, &r, &e), PP_OK);
  assert_true(r.mismatches > 0);
  assert_true(r.got != r.want);
  pp_netlist_free(nl);
  /* ports that are not a MAC */
  pp_netlist *other;
  assert_int_equal(pp_netlist_parse("module m(x, y); input x; output y; INV_X1 u (.A(x), .Y(y)); endmodule\n", "m.v",
                                    g_lib, NULL, &other, &e),
                   PP_OK);
  pp_err_clear(&e);
  assert_int_equal(pp_mac_check(other, 1, &r, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "does not have MAC ports"));
  pp_netlist_free(other);
}

/* Libraries with other cell names and fewer functions. */
/* Asserts that two netlists are the same graph: ports, nets (names,
 * drivers, fanout, loads) and gates (names, cells, pins, levels). */
static void assert_same_netlist(const pp_netlist *a, const pp_netlist *b) {
  assert_string_equal(a->top, b->top);
  assert_int_equal(a->n_nets, b->n_nets);
  assert_int_equal(a->n_gates, b->n_gates);
  assert_int_equal(a->n_levels, b->n_levels);
  assert_int_equal(a->n_inputs, b->n_inputs);
  assert_int_equal(a->n_outputs, b->n_outputs);
  for (int i = 0; i < a->n_inputs + a->n_outputs; i++) {
    const pp_port *pa = i < a->n_inputs ? &a->inputs[i] : &a->outputs[i - a->n_inputs];
    const pp_port *pb = i < a->n_inputs ? &b->inputs[i] : &b->outputs[i - a->n_inputs];
    assert_string_equal(pa->name, pb->name);
    assert_int_equal(pa->width, pb->width);
    assert_memory_equal(pa->bits, pb->bits, sizeof(int) * (size_t)pa->width);
  }
  for (int n = 0; n < a->n_nets; n++) {
    const pp_net *x = &a->nets[n], *y = &b->nets[n];
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->drv_kind, y->drv_kind);
    assert_int_equal(x->drv_gate, y->drv_gate);
    assert_int_equal(x->drv_out, y->drv_out);
    assert_int_equal(x->n_fanout, y->n_fanout);
    assert_int_equal(x->is_output, y->is_output);
    assert_true(x->load_ff == y->load_ff);
    assert_true(x->load_rise_ff == y->load_rise_ff && x->load_fall_ff == y->load_fall_ff);
    if (x->n_fanout) {
      assert_memory_equal(x->fanout, y->fanout, sizeof(int) * (size_t)x->n_fanout);
      assert_memory_equal(x->fanout_pin, y->fanout_pin, sizeof(int) * (size_t)x->n_fanout);
    }
  }
  for (int g = 0; g < a->n_gates; g++) {
    const pp_gate *x = &a->gates[g], *y = &b->gates[g];
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->cell, y->cell);
    assert_int_equal(x->level, y->level);
    assert_memory_equal(x->in, y->in, sizeof x->in);
    assert_memory_equal(x->out, y->out, sizeof x->out);
  }
}

/* pp_mac_build (in memory) gives the netlist that generating to a file and
 * reading it back gives, for several architectures, parts and widths, and
 * the same error for options the generator refuses. */
static void test_build_in_memory(void **st) {
  (void)st;
  static const int cfg[][6] = {
      /* mult, adder, part, w, a, p */
      {PP_MULT_ARRAY, PP_ADDER_RIPPLE, PP_MAC_FULL, 8, 8, 22}, {PP_MULT_BOOTH, PP_ADDER_PREFIX, PP_MAC_FULL, 8, 8, 22},
      {PP_MULT_BOOTH, PP_ADDER_RIPPLE, PP_MAC_MULT, 5, 3, 8},  {PP_MULT_ARRAY, PP_ADDER_PREFIX, PP_MAC_ADDER, 4, 4, 12},
      {PP_MULT_ARRAY, PP_ADDER_PREFIX, PP_MAC_FULL, 2, 8, 10},
  };
  char buf[1200];
  for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
    pp_mac_opts o;
    pp_mac_opts_default(&o);
    o.mult = cfg[c][0];
    o.adder = cfg[c][1];
    o.part = cfg[c][2];
    o.w_bits = cfg[c][3];
    o.a_bits = cfg[c][4];
    o.p_bits = cfg[c][5];
    pp_err e;
    pp_err_clear(&e);
    pp_netlist *file_nl = NULL, *mem_nl = NULL;
    if (pp_mac_generate(&o, g_lib, g_tmp, &e) || pp_netlist_read(g_tmp, g_lib, NULL, &file_nl, &e))
      fail_msg("file route: %s", pp_err_format(&e, buf, sizeof buf));
    if (pp_mac_build(&o, g_lib, &mem_nl, &e)) fail_msg("pp_mac_build: %s", pp_err_format(&e, buf, sizeof buf));
    assert_same_netlist(file_nl, mem_nl);
    pp_netlist_free(file_nl);
    pp_netlist_free(mem_nl);
  }
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  o.p_bits = 12; /* below w_bits + a_bits */
  pp_err e1, e2;
  pp_err_clear(&e1);
  pp_err_clear(&e2);
  pp_netlist *nl = (pp_netlist *)&o; /* must come back NULL */
  assert_int_equal(pp_mac_generate(&o, g_lib, g_tmp, &e1), PP_EINVAL);
  assert_int_equal(pp_mac_build(&o, g_lib, &nl, &e2), PP_EINVAL);
  assert_null(nl);
  assert_string_equal(e1.msg, e2.msg);
}

static void test_other_libraries(void **st) {
  (void)st;
  static const char *nor_only =
      "library(noronly) { cell(NR) { area : 1; pin(P){direction:input; capacitance:1;}\n"
      " pin(Q){direction:input; capacitance:1;} pin(Z){direction:output; function:\"(P+Q)'\";} } }\n";
  static const char *and_only =
      "library(andonly) { cell(AN) { area : 1; pin(P){direction:input;} pin(Q){direction:input;}\n"
      " pin(Z){direction:output; function:\"P Q\";} } }\n";
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_lib_parse(nor_only, "nor.lib", &lib, &e), PP_OK);
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  o.w_bits = 4;
  o.a_bits = 4;
  o.p_bits = 10;
  for (int m = 0; m < 2; m++) {
    o.mult = m;
    o.adder = m;
    pp_mac_check_result r = gen_check(lib, &o, NULL);
    assert_int_equal(r.mismatches, 0);
    assert_int_equal(r.pairs_checked, 256);
  }
  pp_lib_free(lib);
  assert_int_equal(pp_lib_parse(and_only, "and.lib", &lib, &e), PP_OK);
  pp_err_clear(&e);
  assert_int_equal(pp_mac_generate(&o, lib, g_tmp, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "needs a 2-input NAND or NOR"));
  pp_lib_free(lib);
  /* bad options */
  pp_mac_opts_default(&o);
  o.w_bits = 9;
  pp_err_clear(&e);
  assert_int_equal(pp_mac_generate(&o, g_lib, g_tmp, &e), PP_EINVAL);
  pp_mac_opts_default(&o);
  o.p_bits = 15;
  pp_err_clear(&e);
  assert_int_equal(pp_mac_generate(&o, g_lib, g_tmp, &e), PP_EINVAL);
  /* a published library, where installed: its HA/FA cells have other pin names */
  const char *osu = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib";
  if (access(osu, R_OK) == 0) {
    pp_err_clear(&e);
    assert_int_equal(pp_lib_read(osu, &lib, &e), PP_OK);
    pp_mac_opts_default(&o);
    o.mult = PP_MULT_BOOTH;
    o.adder = PP_ADDER_PREFIX;
    pp_netlist *nl;
    pp_mac_check_result r = gen_check(lib, &o, &nl);
    assert_int_equal(r.pairs_checked, 65536);
    assert_int_equal(r.mismatches, 0);
    int fa = 0;
    for (int k = 0; k < nl->n_gates; k++) fa += !strcmp(lib->cells[nl->gates[k].cell].name, "FAX1");
    assert_true(fa > 10);
    pp_netlist_free(nl);
    pp_lib_free(lib);
  }
}

/* Runs `powerprune mac` with the arguments; returns the exit status, stdout
 * (NUL-terminated) in out. */
#define RUN(...) run_mac(out, sizeof out, "mac", __VA_ARGS__, (const char *)NULL)
static int run_mac(char *out, size_t n, const char *arg, ...) {
  const char *args[32];
  int k = 0;
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a && k < 31; a = va_arg(ap, const char *)) args[k++] = a;
  va_end(ap);
  args[k] = NULL;
  char *text;
  int rc = pp_test_cliv(g_dir, &text, args);
  assert_non_null(text);
  snprintf(out, n, "%s", text);
  free(text);
  return rc;
}

/* Breaks the netlist in g_tmp: its first XOR2_X1 gate becomes an XNOR2_X1. */
static void break_one_xor(void) {
  char *v = pp_test_slurp(g_tmp), *at = v ? strstr(v, "XOR2_X1 g") : NULL;
  assert_non_null(at);
  FILE *f = fopen(g_tmp, "w");
  assert_non_null(f);
  fprintf(f, "%.*sXNOR2_X1 g%s", (int)(at - v), v, at + strlen("XOR2_X1 g"));
  assert_int_equal(fclose(f), 0);
  free(v);
}

static void test_cli(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  if (!exe) skip();
  char out[16384];
  static const char *mult[] = {"array", "booth"}, *adder[] = {"ripple", "prefix"};
  for (int m = 0; m < 2; m++)
    for (int a = 0; a < 2; a++) {
      assert_int_equal(RUN("generate", "--mult", mult[m], "--adder", adder[a], "-o", g_tmp), 0);
      assert_int_equal(RUN("check", g_tmp, "--json"), 0);
      assert_non_null(strstr(out, "\"pairs_checked\": 65536"));
      assert_non_null(strstr(out, "\"mismatches\": 0"));
      assert_non_null(strstr(out, "\"cells\": {"));
      assert_non_null(strstr(out, "\"area\": "));
    }
  /* a broken netlist: exit 1 */
  break_one_xor();
  assert_int_equal(RUN("check", g_tmp, "--json"), 1);
  assert_null(strstr(out, "\"mismatches\": 0"));
  /* usage errors */
  assert_int_equal(RUN("generate", "--mult", "wallace", "-o", g_tmp), 2);
  assert_int_equal(RUN("check", "/nonexistent.v"), 4);
}

/* The Yosys route: data/mac_rtl.v mapped onto our library and onto the
 * published OSU 0.18 um library is exact. Skipped where yosys is missing. */
static void test_yosys(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  if (!exe || system("yosys -V >/dev/null 2>&1") != 0) skip();
  char out[16384];
  const char *libs[] = {PP_SOURCE_DIR "/data/pp_cells.lib", "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"};
  int done = 0;
  for (int i = 0; i < 2; i++) {
    if (access(libs[i], R_OK) != 0) continue;
    assert_int_equal(RUN("synth", "--lib", libs[i], "-o", g_tmp), 0);
    assert_int_equal(RUN("check", g_tmp, "--lib", libs[i], "--json"), 0);
    assert_non_null(strstr(out, "\"pairs_checked\": 65536"));
    assert_non_null(strstr(out, "\"mismatches\": 0"));
    done++;
  }
  /* other widths through chparam */
  assert_int_equal(RUN("synth", "--w-bits", "5", "--a-bits", "6", "--p-bits", "14", "-o", g_tmp), 0);
  assert_int_equal(RUN("check", g_tmp, "--json"), 0);
  assert_non_null(strstr(out, "\"pairs_checked\": 2048"));
  assert_non_null(strstr(out, "\"mismatches\": 0"));
  assert_true(done >= 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_architectures), cmocka_unit_test(test_widths_and_parts),
      cmocka_unit_test(test_eval64_on_mac),         cmocka_unit_test(test_check_catches_errors),
      cmocka_unit_test(test_write_roundtrip),        cmocka_unit_test(test_build_in_memory),
      cmocka_unit_test(test_other_libraries),       cmocka_unit_test(test_cli),
      cmocka_unit_test(test_yosys),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
