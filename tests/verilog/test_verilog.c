/* Tests of the structural Verilog reader, the gate graph it builds, the
 * reference and bit-parallel evaluators and the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/netlist.h"
#include "pp/verilog.h"

#define FIX PP_SOURCE_DIR "/tests/netlist/fixtures/"

static pp_lib *g_lib;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  return pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &g_lib, &e);
}

static int teardown(void **st) {
  (void)st;
  pp_lib_free(g_lib);
  return 0;
}

static pp_netlist *must_parse(const char *text) {
  pp_netlist *nl;
  pp_err e;
  pp_err_clear(&e);
  char buf[1200];
  if (pp_netlist_parse(text, "t.v", g_lib, NULL, &nl, &e)) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
  return nl;
}

/* Sets input port values (by name order given), evaluates, returns an output port's value. */
static unsigned long run(const pp_netlist *nl, const char **names, const unsigned long *vals, int n, const char *out) {
  uint8_t *v = calloc((size_t)nl->n_nets, 1);
  for (int i = 0; i < n; i++) {
    int p = pp_netlist_find_input(nl, names[i]);
    assert_true(p >= 0);
    for (int b = 0; b < nl->inputs[p].width; b++) v[nl->inputs[p].bits[b]] = (vals[i] >> b) & 1;
  }
  pp_netlist_eval(nl, v);
  int o = pp_netlist_find_output(nl, out);
  assert_true(o >= 0);
  unsigned long r = 0;
  for (int b = 0; b < nl->outputs[o].width; b++) r |= (unsigned long)v[nl->outputs[o].bits[b]] << b;
  free(v);
  return r;
}

static void check_adder2(const pp_netlist *nl) {
  const char *names[] = {"x", "y", "cin"};
  for (unsigned long x = 0; x < 4; x++)
    for (unsigned long y = 0; y < 4; y++)
      for (unsigned long c = 0; c < 2; c++) {
        unsigned long vals[] = {x, y, c};
        assert_int_equal(run(nl, names, vals, 3, "s"), x + y + c);
      }
}

static void test_hierarchy_and_eval(void **st) {
  (void)st;
  pp_netlist *nl;
  pp_err e;
  pp_err_clear(&e);
  char buf[1200];
  if (pp_netlist_read(FIX "adder2.v", g_lib, NULL, &nl, &e)) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
  assert_string_equal(nl->top, "add2");
  assert_int_equal(nl->n_gates, 3);
  assert_int_equal(nl->n_inputs, 3);
  assert_int_equal(nl->n_outputs, 1);
  assert_int_equal(nl->outputs[0].width, 3);
  check_adder2(nl);
  /* flattened names and topological order: b0.u, keep, b1.u */
  assert_string_equal(nl->gates[0].name, "b0.u");
  assert_int_equal(nl->gates[0].level, 1);
  assert_string_equal(nl->gates[1].name, "keep");
  assert_int_equal(nl->gates[1].level, 2);
  assert_string_equal(nl->gates[2].name, "b1.u");
  assert_int_equal(nl->gates[2].level, 3);
  assert_int_equal(nl->n_levels, 4);
  for (int k = 0; k < nl->n_gates; k++)
    for (int q = 0; q < nl->gates[k].n_in; q++) {
      const pp_net *n = &nl->nets[nl->gates[k].in[q]];
      assert_true(n->drv_kind != PP_DRV_GATE || n->drv_gate < k);
    }
  /* the escaped carry net: driven by FA CO (output 0 of FA_X1: pin order CO, S), read by the buffer */
  int fa = pp_lib_find_cell(g_lib, "FA_X1");
  const pp_lib_cell *fc = &g_lib->cells[fa];
  int co_slot = strcmp(fc->pins[fc->outputs[0]].name, "CO") ? 1 : 0;
  const pp_net *carry = &nl->nets[nl->gates[0].out[co_slot]];
  assert_string_equal(carry->name, "carry[0]");
  assert_int_equal(carry->n_fanout, 1);
  assert_int_equal(carry->fanout[0], 1);
  assert_int_equal(carry->fanout_pin[0], 0);
  /* load = buffer input cap + wire estimate */
  int bi = pp_lib_find_cell(g_lib, "BUF_X1");
  double want = g_lib->cells[bi].pins[g_lib->cells[bi].inputs[0]].cap + g_lib->wire_cap_ff + g_lib->wire_cap_per_fanout_ff;
  assert_true(fabs(carry->load_ff - want) < 1e-12);
  /* an output net also carries the output port load */
  const pp_net *s0 = &nl->nets[nl->outputs[0].bits[0]];
  assert_true(s0->is_output);
  assert_true(fabs(s0->load_ff - (g_lib->wire_cap_ff + g_lib->output_load_ff)) < 1e-12);
  assert_true(g_lib->output_load_ff > 0);
  /* x[1] feeds b1.u pin A */
  const pp_net *x1 = &nl->nets[nl->inputs[pp_netlist_find_input(nl, "x")].bits[1]];
  assert_int_equal(x1->drv_kind, PP_DRV_INPUT);
  assert_string_equal(x1->name, "x[1]");
  /* write it back and read it again: same function */
  char path[] = "/tmp/pp_test_vXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(pp_netlist_write_verilog(nl, path, &e), PP_OK);
  pp_netlist *back;
  if (pp_netlist_read(path, g_lib, NULL, &back, &e)) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
  check_adder2(back);
  assert_int_equal(back->n_gates, nl->n_gates);
  remove(path);
  pp_netlist_free(back);
  pp_netlist_free(nl);
}

static void test_syntax_forms(void **st) {
  (void)st;
  /* ANSI ports, constants of several bases, concatenation with replication,
   * multi-assign, reversed ranges, comments and attributes */
  pp_netlist *nl = must_parse(
      "(* top = 1 *)\nmodule m(input [3:0] a, input [0:1] r, output [7:0] y, output z);\n"
      "  /* block */ wire n1; // line\n"
      "  NAND2_X1 g1 (.A(a[0]), .B(a[1]), .Y(n1));\n"
      "  INV_X1 g2 (.A(n1), .Y(z));\n"
      "  assign y = {2'b10, {2{r[1]}}, a[3:2], 2'h1}, n2 = r[0];\n"
      "endmodule\n");
  const char *names[] = {"a", "r"};
  for (unsigned long a = 0; a < 16; a++)
    for (unsigned long r = 0; r < 4; r++) {
      unsigned long vals[] = {a, r};
      /* r is [0:1]: r[1] is its LSB */
      unsigned long r1 = r & 1;
      unsigned long want = (2ul << 6) | ((r1 ? 3ul : 0ul) << 4) | (((a >> 2) & 3) << 2) | 1ul;
      assert_int_equal(run(nl, names, vals, 2, "y"), want);
      assert_int_equal(run(nl, names, vals, 2, "z"), (a & 1) && ((a >> 1) & 1));
    }
  pp_netlist_free(nl);
  /* 8'hFF, 'b1 (unsized), decimal */
  nl = must_parse("module m(y, q);\n output [7:0] y; output [3:0] q;\n assign y = 8'hF_F;\n assign q = 5;\nendmodule\n");
  assert_int_equal(run(nl, NULL, NULL, 0, "y"), 255);
  assert_int_equal(run(nl, NULL, NULL, 0, "q"), 5);
  pp_netlist_free(nl);
}

typedef struct {
  const char *name, *text;
  int line;
  const char *expect;
} bad_case;

static void test_errors(void **st) {
  (void)st;
  static const bad_case cases[] = {
      {"unknown cell", "module m(a, y);\n input a; output y;\n FOO_X1 u1 (.A(a), .Y(y));\nendmodule\n", 3,
       "unknown cell or module 'FOO_X1'"},
      {"unknown pin", "module m(a, y);\n input a; output y;\n INV_X1 u1 (.A(a),\n .Q(y));\nendmodule\n", 4,
       "cell 'INV_X1' has no pin 'Q'"},
      {"unconnected input", "module m(a, y);\n input a; output y;\n NAND2_X1 u1 (.A(a), .Y(y));\nendmodule\n", 3,
       "input 'B' of instance 'u1' (NAND2_X1) is not connected"},
      {"empty connection", "module m(a, y);\n input a; output y;\n NAND2_X1 u1 (.A(a), .B(), .Y(y));\nendmodule\n", 3,
       "input 'B' of instance 'u1' (NAND2_X1) is not connected"},
      {"undriven input", "module m(a, y);\n input a; output y; wire w;\n NAND2_X1 u1 (.A(a), .B(w), .Y(y));\nendmodule\n", 3,
       "driven by nothing (net 'w')"},
      {"multiple drivers",
       "module m(a, y);\n input a; output y;\n INV_X1 u1 (.A(a), .Y(y));\n INV_X1 u2 (.A(a), .Y(y));\nendmodule\n", 4,
       "net 'y' has multiple drivers: instance 'u2' (pin Y) and instance u1"},
      {"driver and input", "module m(a, y);\n input a; output y;\n INV_X1 u1 (.A(y), .Y(a));\nendmodule\n", 3,
       "multiple drivers"},
      {"loop",
       "module m(a, y);\n input a; output y; wire p, q;\n NAND2_X1 u1 (.A(a), .B(q), .Y(p));\n"
       " INV_X1 u2 (.A(p), .Y(q));\n INV_X1 u3 (.A(q), .Y(y));\nendmodule\n",
       3, "combinational loop through"},
      {"undriven output", "module m(a, y);\n input a;\n output [1:0] y;\n INV_X1 u1 (.A(a), .Y(y[0]));\nendmodule\n", 3,
       "output bit y[1] is driven by nothing"},
      {"missing semicolon", "module m(a, y);\n input a\n output y;\nendmodule\n", 3, "expected ';' to end the declaration"},
      {"missing endmodule", "module m(a, y);\n input a; output y;\n assign y = a;\n", 4, "expected 'endmodule'"},
      {"bad index", "module m(a, y);\n input [1:0] a; output y;\n assign y = a[2];\nendmodule\n", 3,
       "index [2] is out of the range [1:0] of 'a'"},
      {"x constant", "module m(y);\n output y;\n assign y = 1'bx;\nendmodule\n", 3, "x/z bits"},
      {"bad digit", "module m(y);\n output [3:0] y;\n assign y = 4'b102;\nendmodule\n", 3, "'2' is not a base-2 digit"},
      {"width mismatch", "module m(a, y);\n input [1:0] a; output y;\n INV_X1 u1 (.A(a), .Y(y));\nendmodule\n", 3,
       "pin 'A' of instance 'u1' is one bit but the connection has 2"},
      {"sequential", "module m(a, c, y);\n input a, c; output y;\n DFF_X1 u1 (.D(a), .CLK(c), .Q(y));\nendmodule\n", 3,
       "is sequential"},
      {"behavioural", "module m(a, y);\n input a; output reg y;\n always @(*) y = a;\nendmodule\n", 3, "behavioural"},
      {"positional", "module m(a, y);\n input a; output y;\n INV_X1 u1 (a, y);\nendmodule\n", 3,
       "expected a named connection"},
      {"tied both", "module m(y);\n output y;\n assign y = 1'b0;\n assign y = 1'b1;\nendmodule\n", 4,
       "tied to both 0 and 1"},
      {"unterminated comment", "module m(y);\n/* oops\n", 2, "unterminated comment"},
      {"undeclared vector", "module m(y);\n output y;\n assign y = q[1];\nendmodule\n", 3, "'q' is not declared"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pp_netlist *nl = (pp_netlist *)1;
    pp_err e;
    pp_err_clear(&e);
    int rc = pp_netlist_parse(cases[i].text, "bad.v", g_lib, NULL, &nl, &e);
    if (rc == PP_OK) fail_msg("%s: parsed without error", cases[i].name);
    assert_null(nl);
    assert_string_equal(e.file, "bad.v");
    if (e.line != cases[i].line || !strstr(e.msg, cases[i].expect))
      fail_msg("%s: got line %d \"%s\", want line %d containing \"%s\"", cases[i].name, e.line, e.msg, cases[i].line,
               cases[i].expect);
  }
  /* the loop message names the instances and nets of the loop, and only them */
  pp_netlist *nl;
  pp_err e;
  pp_err_clear(&e);
  pp_netlist_parse(cases[7].text, "bad.v", g_lib, NULL, &nl, &e);
  assert_non_null(strstr(e.msg, "'u1'"));
  assert_non_null(strstr(e.msg, "'u2'"));
  assert_non_null(strstr(e.msg, "'p'"));
  assert_non_null(strstr(e.msg, "'q'"));
  assert_null(strstr(e.msg, "'u3'"));
  /* several top candidates need a name; a named top works */
  const char *two = "module a(y); output y; assign y = 1'b1; endmodule\nmodule b(y); output y; assign y = 1'b0; endmodule\n";
  pp_err_clear(&e);
  assert_int_equal(pp_netlist_parse(two, "two.v", g_lib, NULL, &nl, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "several top-level modules (a, b)"));
  pp_err_clear(&e);
  assert_int_equal(pp_netlist_parse(two, "two.v", g_lib, "b", &nl, &e), PP_OK);
  assert_int_equal(run(nl, NULL, NULL, 0, "y"), 0);
  pp_netlist_free(nl);
}

/* The bit-parallel evaluator against the reference, on random vectors of a
 * circuit that uses every combinational cell of the library. */
static void test_eval64_matches_reference(void **st) {
  (void)st;
  char text[16384];
  size_t l = 0;
  l += (size_t)snprintf(text + l, sizeof text - l, "module all(i, o);\n input [5:0] i;\n output [63:0] o;\n");
  int k = 0;
  for (int c = 0; c < g_lib->n_cells; c++) {
    const pp_lib_cell *cell = &g_lib->cells[c];
    if (cell->unsupported || cell->is_sequential) continue;
    for (int rot = 0; rot < 2; rot++) {
      l += (size_t)snprintf(text + l, sizeof text - l, " %s u%d (", cell->name, k);
      for (int q = 0; q < cell->n_inputs; q++)
        l += (size_t)snprintf(text + l, sizeof text - l, ".%s(i[%d]), ", cell->pins[cell->inputs[q]].name,
                              (q + rot * 2) % 6);
      for (int o = 0; o < cell->n_outputs; o++)
        l += (size_t)snprintf(text + l, sizeof text - l, "%s.%s(o[%d])", o ? ", " : "",
                              cell->pins[cell->outputs[o]].name, k + o);
      l += (size_t)snprintf(text + l, sizeof text - l, ");\n");
      k += cell->n_outputs;
    }
  }
  assert_true(k <= 64);
  for (; k < 64; k++) l += (size_t)snprintf(text + l, sizeof text - l, " assign o[%d] = i[%d];\n", k, k % 6);
  snprintf(text + l, sizeof text - l, "endmodule\n");
  pp_netlist *nl = must_parse(text);
  uint64_t *w = calloc((size_t)nl->n_nets, sizeof(uint64_t));
  uint8_t *v = calloc((size_t)nl->n_nets, 1);
  /* all 64 input combinations in one word */
  for (int b = 0; b < 6; b++)
    for (int vec = 0; vec < 64; vec++)
      if ((vec >> b) & 1) w[nl->inputs[0].bits[b]] |= (uint64_t)1 << vec;
  pp_netlist_eval64(nl, w);
  for (int vec = 0; vec < 64; vec++) {
    for (int b = 0; b < 6; b++) v[nl->inputs[0].bits[b]] = (vec >> b) & 1;
    pp_netlist_eval(nl, v);
    for (int n = 0; n < nl->n_nets; n++) assert_int_equal((w[n] >> vec) & 1, v[n]);
  }
  free(w);
  free(v);
  pp_netlist_free(nl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hierarchy_and_eval),
      cmocka_unit_test(test_syntax_forms),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_eval64_matches_reference),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
