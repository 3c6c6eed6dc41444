/* Tests of the Liberty reader: our library, an independently written fixture
 * (other units, swapped template variables, scalars), table lookup against
 * hand-computed values, function truth tables, and malformed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/liberty.h"

#define FIX PP_SOURCE_DIR "/tests/netlist/fixtures/"

static const pp_lib_pin *out_pin(const pp_lib *lib, const char *cell, const char *pin) {
  int c = pp_lib_find_cell(lib, cell);
  assert_true(c >= 0);
  int p = pp_lib_find_pin(&lib->cells[c], pin);
  assert_true(p >= 0);
  return &lib->cells[c].pins[p];
}

static void test_our_library(void **st) {
  (void)st;
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_lib_read(PP_SOURCE_DIR "/data/pp_cells.lib", &lib, &e);
  char buf[1200];
  if (rc) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
  assert_string_equal(lib->name, "pp_cells");
  assert_true(fabs(lib->voltage - 0.8) < 1e-12);
  assert_true(fabs(lib->default_slew_ps - 8.0) < 1e-12);
  assert_true(lib->wire_cap_ff > 0 && lib->wire_cap_per_fanout_ff > 0);
  const char *need[] = {"INV_X1", "BUF_X1", "NAND2_X1", "NAND3_X1", "NOR2_X1", "NOR3_X1", "AND2_X1", "OR2_X1",
                        "XOR2_X1", "XNOR2_X1", "AOI21_X1", "OAI21_X1", "MUX2_X1", "HA_X1", "FA_X1", "DFF_X1"};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
    int c = pp_lib_find_cell(lib, need[i]);
    assert_true(c >= 0);
    assert_true(lib->cells[c].area > 0);
    assert_true(lib->cells[c].leakage_nw > 0);
    if (strcmp(need[i], "DFF_X1")) assert_null(lib->cells[c].unsupported);
  }
  assert_int_equal(out_pin(lib, "INV_X1", "Y")->truth, 0x1);
  assert_int_equal(out_pin(lib, "NAND2_X1", "Y")->truth, 0x7);
  assert_int_equal(out_pin(lib, "NOR3_X1", "Y")->truth, 0x01);
  assert_int_equal(out_pin(lib, "XNOR2_X1", "Y")->truth, 0x9);
  assert_int_equal(out_pin(lib, "FA_X1", "S")->truth, 0x96);
  assert_int_equal(out_pin(lib, "FA_X1", "CO")->truth, 0xE8);
  assert_int_equal(out_pin(lib, "HA_X1", "CO")->truth, 0x8);
  /* MUX2 inputs A, B, S: S ? B : A */
  assert_int_equal(out_pin(lib, "MUX2_X1", "Y")->truth, 0xCA);
  assert_int_equal(out_pin(lib, "AOI21_X1", "Y")->truth, 0x07); /* !((A1 A2)+B) */
  int dff = pp_lib_find_cell(lib, "DFF_X1");
  assert_true(lib->cells[dff].is_sequential);
  assert_int_equal(out_pin(lib, "DFF_X1", "D")->n_timings, 0); /* setup/hold are constraints, not arcs */
  assert_int_equal(out_pin(lib, "DFF_X1", "Q")->n_timings, 1);
  /* NLDM: delay grows with load and with slew; 7 x 7 tables */
  const pp_lib_pin *y = out_pin(lib, "NAND2_X1", "Y");
  assert_int_equal(y->n_timings, 2);
  const pp_lut *t = &y->timings[0].cell_fall;
  assert_int_equal(t->n_slew, 7);
  assert_int_equal(t->n_load, 7);
  assert_int_equal(y->timings[0].sense, PP_SENSE_NEGATIVE);
  assert_true(pp_lut_eval(t, 8, 4) > pp_lut_eval(t, 8, 1));
  assert_true(pp_lut_eval(t, 64, 1) > pp_lut_eval(t, 8, 1));
  assert_true(y->n_powers == 2 && pp_lut_eval(&y->powers[0].rise_power, 8, 1) > 0);
  /* FO4 of the x1 inverter is of the order the header claims (~7 ps) */
  const pp_lib_pin *inv = out_pin(lib, "INV_X1", "Y");
  double fo4 = pp_lut_eval(&inv->timings[0].cell_rise, 10, 4 * 0.6 + 0.4);
  assert_true(fo4 > 5 && fo4 < 10);
  pp_lib_free(lib);
}

static void test_fixture_units_and_tables(void **st) {
  (void)st;
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_lib_read(FIX "small.lib", &lib, &e);
  char buf[1200];
  if (rc) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
  assert_int_equal(lib->n_cells, 3);
  assert_true(fabs(lib->voltage - 1.1) < 1e-12);
  assert_true(fabs(lib->default_slew_ps - 10.0) < 1e-9); /* smallest slew index, 0.01 ns */
  int c = pp_lib_find_cell(lib, "NOTX");
  assert_true(fabs(lib->cells[c].leakage_nw - 2.0) < 1e-9); /* 0.002 uW */
  assert_true(fabs(lib->cells[c].area - 2.5) < 1e-12);
  const pp_lib_pin *a = out_pin(lib, "NOTX", "A");
  assert_true(fabs(a->cap - 1.2) < 1e-9); /* max(rise, fall) capacitance, pF -> fF */
  const pp_lib_pin *z = out_pin(lib, "NOTX", "Z");
  assert_int_equal(z->truth, 0x1);
  assert_int_equal(z->n_timings, 1);
  const pp_lut *r = &z->timings[0].cell_rise;
  /* template had load first: stored as slew x load, ns -> ps, pF -> fF */
  assert_int_equal(r->n_slew, 3);
  assert_int_equal(r->n_load, 2);
  assert_true(fabs(r->index_slew[2] - 50) < 1e-9);
  assert_true(fabs(r->index_load[1] - 4) < 1e-9);
  assert_true(fabs(r->values[0 * 2 + 1] - 40) < 1e-9); /* slew 10 ps, load 4 fF */
  assert_true(fabs(r->values[2 * 2 + 0] - 30) < 1e-9); /* slew 50 ps, load 1 fF */
  /* bilinear inside, at grid points, and linear extrapolation outside */
  assert_true(fabs(pp_lut_eval(r, 10, 1) - 10) < 1e-9);
  assert_true(fabs(pp_lut_eval(r, 20, 2.5) - 30) < 1e-9);
  assert_true(fabs(pp_lut_eval(r, 70, 7) - 100) < 1e-9);
  assert_true(fabs(pp_lut_eval(r, 0, 0) - (10 - 5 - 10)) < 1e-9); /* (10->0 ps: -5) (1->0 fF: -10) */
  /* scalars are constant everywhere */
  assert_int_equal(z->timings[0].cell_fall.n_slew, 1);
  assert_true(fabs(pp_lut_eval(&z->timings[0].cell_fall, 123, 45) - 25) < 1e-9);
  /* index override inside the table group */
  const pp_lut *rt = &z->timings[0].rise_transition;
  assert_true(fabs(rt->index_load[0] - 2) < 1e-9 && fabs(rt->index_load[1] - 8) < 1e-9);
  assert_true(fabs(pp_lut_eval(rt, 30, 5) - 350) < 1e-9);
  /* internal power: pF x V^2 = pJ -> fJ; 1-D table over slew */
  assert_int_equal(z->n_powers, 1);
  assert_int_equal(z->powers[0].related_pin, pp_lib_find_pin(&lib->cells[c], "A"));
  assert_true(fabs(pp_lut_eval(&z->powers[0].rise_power, 30, 99) - 3) < 1e-9);
  assert_true(fabs(pp_lut_eval(&z->powers[0].fall_power, 30, 99) - 1) < 1e-9);
  /* several related pins in one timing group -> one arc each; precedence of operators */
  int ao = pp_lib_find_cell(lib, "AO");
  assert_true(fabs(lib->cells[ao].leakage_nw - 3.0) < 1e-9); /* mean of the per-state values */
  const pp_lib_pin *zz = out_pin(lib, "AO", "Z");
  assert_int_equal(zz->n_timings, 3);
  assert_int_equal(zz->timings[0].sense, PP_SENSE_NON_UNATE);
  uint64_t want = 0;
  for (int row = 0; row < 8; row++) {
    int A = row & 1, B = (row >> 1) & 1, C = (row >> 2) & 1;
    if ((A & B) | (!C ^ A)) want |= 1u << row;
  }
  assert_int_equal(zz->truth, want);
  int la = pp_lib_find_cell(lib, "LATCHX");
  assert_true(lib->cells[la].is_sequential);
  pp_lib_free(lib);
}

/* One cell with inputs A, B, C and the given function. */
static uint64_t truth_of(const char *func, pp_err *e) {
  char text[2048];
  snprintf(text, sizeof text,
           "library(t){ cell(X){ pin(A){direction:input;} pin(B){direction:input;} pin(C){direction:input;}\n"
           "pin(Y){direction:output; function : \"%s\";} } }\n",
           func);
  pp_lib *lib;
  pp_err_clear(e);
  if (pp_lib_parse(text, "t.lib", &lib, e)) return ~(uint64_t)0;
  uint64_t t = lib->cells[0].pins[3].truth;
  pp_lib_free(lib);
  return t;
}

static void test_function_truth_tables(void **st) {
  (void)st;
  pp_err e;
  /* rows: bit0 = A, bit1 = B, bit2 = C */
  const uint64_t A = 0xAA, B = 0xCC, C = 0xF0, ALL = 0xFF;
  struct {
    const char *f;
    uint64_t t;
  } cases[] = {
      {"A B", A & B},          {"A*B", A & B},         {"A&B", A & B},           {"A+B", A | B},
      {"A|B", A | B},          {"A^B", A ^ B},         {"!A", ALL & ~A},         {"A'", ALL & ~A},
      {"(A+B)'", ALL & ~(A | B)}, {"!(A B)+C", (ALL & ~(A & B)) | C}, {"A B+C", (A & B) | C},
      {"A+B C", A | (B & C)},  {"A^B C", (A ^ B) & C}, {"(A B C)", A & B & C},   {"1", ALL},
      {"0", 0},                {"!!A", A},             {"A''", A},               {"(A)(B)", A & B},
      {"!A B", (ALL & ~A) & B}, {"A ^ B ^ C", A ^ B ^ C},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint64_t t = truth_of(cases[i].f, &e);
    if (t != cases[i].t) fail_msg("function \"%s\": truth 0x%llx, want 0x%llx (%s)", cases[i].f,
                                  (unsigned long long)t, (unsigned long long)cases[i].t, e.msg);
  }
}

typedef struct {
  const char *name, *text;
  int line;
  const char *expect; /* substring of the message */
} bad_case;

static void test_bad_files(void **st) {
  (void)st;
  static const bad_case cases[] = {
      {"missing brace", "library(x) {\n cell(A) {\n  area : 1;\n", 4, "expected '}' to close group 'cell' opened at line 2"},
      {"bad number", "library(x) {\n cell(A) {\n  area : 1.2.3;\n }\n}\n", 3, "expected a number for 'area'"},
      {"unknown related pin",
       "library(x) {\n cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){\n    related_pin : \"Q\";\n   }\n  }\n }\n}\n",
       6, "related_pin 'Q' is not a pin of cell 'A'"},
      {"unknown template",
       "library(x) {\n cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(nosuch) { values(\"1\"); }\n   }\n  }\n }\n}\n",
       6, "unknown table template 'nosuch'"},
      {"value count",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(t) {\n values(\"1,2,3\"); }\n   }\n  }\n }\n}\n",
       8, "expected 2 numbers"},
      {"bad number in table",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(t) {\n values(\"1,x2\"); }\n   }\n  }\n }\n}\n",
       8, "found 'x2'"},
      {"index not increasing",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition;\n index_1(\"2,1\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(t) { values(\"1,2\"); }\n   }\n  }\n }\n}\n",
       3, "strictly increasing"},
      {"function syntax", "library(x) {\n cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output;\n function:\"I +\";}\n }\n}\n",
       5, "expression ends early"},
      {"function unknown pin", "library(x) {\n cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output;\n function:\"I J\";}\n }\n}\n",
       5, "names 'J'"},
      {"unterminated string", "library(x) {\n cell(A) {\n  pin(Y){direction:output;\n function:\"I J;}\n }\n}\n", 4,
       "unterminated string"},
      {"unterminated comment", "library(x) {\n /* hello\n cell(A) {}\n}\n", 2, "unterminated comment"},
      {"no library", "cell(A) { area : 1; }\n", 1, "expected a 'library (NAME)"},
      {"stray brace", "library(x) {\n}\n}\n", 3, "unexpected '}'"},
      {"missing colon", "library(x) {\n area 3;\n}\n", 2, "expected ':' or '(' after 'area'"},
      {"bad direction", "library(x) {\n cell(A) {\n  pin(I){\n direction : sideways; }\n }\n}\n", 4,
       "expected input, output, inout or internal"},
      {"bad unit", "library(x) {\n time_unit : \"1parsec\";\n cell(A) { }\n}\n", 2, "unknown unit"},
      {"no direction", "library(x) {\n cell(A) {\n  pin(I){ capacitance : 1; }\n }\n}\n", 3, "has no direction"},
      {"missing paren", "library(x) {\n cell(A {\n }\n}\n", 2, "expected ')'"},
      /* non-physical values (issue 15) */
      {"negative capacitance", "library(x) {\n cell(A) {\n  pin(I){ direction : input;\n capacitance : -1; }\n }\n}\n", 4,
       "'capacitance' is -1: expected a value >= 0"},
      {"negative rise capacitance",
       "library(x) {\n cell(A) {\n  pin(I){ direction : input;\n rise_capacitance : -0.5; }\n }\n}\n", 4,
       "expected a value >= 0"},
      {"negative wire cap", "library(x) {\n pp_wire_cap : -2;\n}\n", 2, "'pp_wire_cap' is -2"},
      {"negative output load", "library(x) {\n pp_output_load : -2;\n}\n", 2, "'pp_output_load' is -2"},
      {"negative voltage", "library(x) {\n nom_voltage : -0.8;\n}\n", 2, "expected a supply voltage > 0"},
      {"zero voltage", "library(x) {\n nom_voltage : 0;\n}\n", 2, "expected a supply voltage > 0"},
      {"negative leakage", "library(x) {\n cell(A) {\n  cell_leakage_power : -3;\n }\n}\n", 3,
       "'cell_leakage_power' is -3"},
      {"negative leakage group",
       "library(x) {\n cell(A) {\n  leakage_power() {\n value : -3; }\n }\n}\n", 4, "'value' is -3"},
      {"negative area", "library(x) {\n cell(A) {\n  area : -3;\n }\n}\n", 3, "'area' is -3"},
      {"infinite number", "library(x) {\n cell(A) {\n  area : inf;\n }\n}\n", 3, "expected a number for 'area'"},
      {"nan number", "library(x) {\n cell(A) {\n  area : nan;\n }\n}\n", 3, "expected a number for 'area'"},
      {"negative delay",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(t) {\n values(\"1,-2.5\"); }\n   }\n  }\n }\n}\n",
       8, "value 2 is -2500 ps at input slew 2000 ps"},
      {"huge delay",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_fall(t) {\n values(\"1,1e300\"); }\n   }\n  }\n }\n}\n",
       8, "expected a delay in [-(input slew), 1e9] ps"},
      {"huge energy",
       "library(x) {\n power_lut_template(t){ variable_1 : input_transition_time; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   internal_power(){ related_pin : \"I\";\n    rise_power(t) {\n values(\"1,1e300\"); }\n   }\n  }\n }\n}\n",
       8, "expected an energy"},
      {"negative transition",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    rise_transition(t) {\n values(\"1,-0.001\"); }\n   }\n  }\n }\n}\n",
       8, "expected a transition time in [0, 1e9] ps"},
      {"negative wire_load capacitance",
       "library(x) {\n wire_load(\"w\") {\n  capacitance : -0.1;\n }\n}\n", 3, "'capacitance' is -0.1"},
      {"negative wire_load length",
       "library(x) {\n wire_load(\"w\") {\n  fanout_length(1, -2);\n }\n}\n", 3, "expected a value >= 0"},
      {"wire_load fanouts not increasing",
       "library(x) {\n wire_load(\"w\") {\n  fanout_length(2, 1);\n  fanout_length(1, 2);\n }\n}\n", 4,
       "must increase"},
      {"unknown default_wire_load", "library(x) {\n wire_load(\"w\") { slope : 1; }\n default_wire_load : \"v\";\n}\n", 3,
       "default_wire_load 'v' names no wire_load group"},
      {"negative fall capacitance",
       "library(x) {\n cell(A) {\n  pin(I){ direction : input;\n fall_capacitance : -0.5; }\n }\n}\n", 4,
       "expected a value >= 0"},
      {"nan in table",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition; index_1(\"1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(t) {\n values(\"1,nan\"); }\n   }\n  }\n }\n}\n",
       8, "nan"},
      {"negative index",
       "library(x) {\n lu_table_template(t){ variable_1 : input_net_transition;\n index_1(\"-1,2\"); }\n"
       " cell(A) {\n  pin(I){direction:input;}\n  pin(Y){direction:output; function:\"!I\";\n"
       "   timing(){ related_pin : \"I\";\n    cell_rise(t) { values(\"1,2\"); }\n   }\n  }\n }\n}\n",
       3, "expected a slew or load >= 0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pp_lib *lib = (pp_lib *)1;
    pp_err e;
    pp_err_clear(&e);
    int rc = pp_lib_parse(cases[i].text, "bad.lib", &lib, &e);
    if (rc == PP_OK) fail_msg("%s: parsed without error", cases[i].name);
    assert_null(lib);
    assert_int_equal(rc, PP_EPARSE);
    assert_string_equal(e.file, "bad.lib");
    if (e.line != cases[i].line || !strstr(e.msg, cases[i].expect))
      fail_msg("%s: got line %d \"%s\", want line %d containing \"%s\"", cases[i].name, e.line, e.msg,
               cases[i].line, cases[i].expect);
  }
  /* a missing file is an I/O error naming it */
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_lib_read("/nonexistent/x.lib", &lib, &e), PP_EIO);
  assert_string_equal(e.file, "/nonexistent/x.lib");
}

/* wire_load groups: the fanout -> length table interpolated inside,
 * continued with the slope outside (never below 0), none without a table;
 * capacitance per length in the library's unit (pF here); the default
 * group is selected, --wire-load's choices change it. */
static void test_wire_loads(void **st) {
  (void)st;
  const char *text = "library(w) {\n capacitive_load_unit(1, pf);\n pp_wire_cap : 0.001;\n"
                     " wire_load(\"a\") { capacitance : 0.002; resistance : 5; slope : 1.5;\n"
                     "  fanout_length(1, 1.0); fanout_length(2, 2.2); fanout_length(4, 4.0); }\n"
                     " wire_load(\"b\") { capacitance : 0.001; slope : 9; }\n"
                     " default_wire_load : \"a\";\n"
                     " cell(I) { pin(A){direction:input; capacitance:0.001;} pin(Y){direction:output; function:\"!A\";} }\n}\n";
  pp_lib *lib;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_lib_parse(text, "w.lib", &lib, &e), PP_OK);
  assert_int_equal(lib->n_wire_loads, 2);
  assert_int_equal(lib->wire_load, 0);
  assert_string_equal(pp_lib_wire_load_name(lib), "a");
  const pp_lib_wire_load *a = &lib->wire_loads[0];
  assert_true(fabs(a->cap_per_length_ff - 2.0) < 1e-12);
  assert_int_equal(a->n_points, 3);
  assert_true(fabs(pp_lib_wire_load_length(a, 1) - 1.0) < 1e-12);
  assert_true(fabs(pp_lib_wire_load_length(a, 3) - 3.1) < 1e-12);   /* between 2.2 and 4.0 */
  assert_true(fabs(pp_lib_wire_load_length(a, 6) - 7.0) < 1e-12);   /* 4.0 + 2 x 1.5 */
  assert_true(fabs(pp_lib_wire_load_length(a, 0) - 0.0) < 1e-12);   /* 1.0 - 1.5 < 0 */
  assert_true(pp_lib_wire_load_length(&lib->wire_loads[1], 3) == 0); /* no table */
  /* 2 pins + 1 output port: fanout 3 for the table, 2 for pp_wire_cap_per_fanout */
  assert_true(fabs(pp_lib_wire_cap(lib, 2, 1) - (1.0 + 3.1 * 2.0)) < 1e-9);
  assert_int_equal(pp_lib_use_wire_load(lib, "library", &e), PP_OK);
  assert_int_equal(lib->wire_load, 0);
  assert_int_equal(pp_lib_use_wire_load(lib, "b", &e), PP_OK);
  assert_string_equal(pp_lib_wire_load_name(lib), "b");
  assert_int_equal(pp_lib_use_wire_load(lib, "none", &e), PP_OK);
  assert_null(pp_lib_wire_load_name(lib));
  assert_true(pp_lib_wire_cap(lib, 2, 1) == 0);
  assert_int_equal(pp_lib_use_wire_load(lib, "zz", &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "a, b"));
  pp_lib_free(lib);
}

/* Real published libraries, where the machine has them. */
static void test_published_libraries(void **st) {
  (void)st;
  const char *paths[] = {"/usr/share/qflow/tech/osu018/osu018_stdcells.lib", "/usr/share/yosys/cells.lib"};
  int found = 0;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    FILE *f = fopen(paths[i], "r");
    if (!f) continue;
    fclose(f);
    found++;
    pp_lib *lib;
    pp_err e;
    pp_err_clear(&e);
    char buf[1200];
    if (pp_lib_read(paths[i], &lib, &e)) fail_msg("%s", pp_err_format(&e, buf, sizeof buf));
    assert_true(lib->n_cells > 0);
    if (i == 0) { /* OSU 0.18 um: ns / pF, load-first templates */
      assert_true(fabs(lib->voltage - 1.8) < 1e-9);
      int fa = pp_lib_find_cell(lib, "FAX1");
      assert_true(fa >= 0);
      assert_null(lib->cells[fa].unsupported);
      const pp_lib_pin *yc = out_pin(lib, "FAX1", "YC");
      assert_int_equal(yc->truth, 0xE8);
      assert_int_equal(out_pin(lib, "FAX1", "YS")->truth, 0x96);
      /* AND2X1 A->Y cell_rise at load 0.005 pF, slew 0.06 ns is 0.06367 ns in the file */
      const pp_lib_pin *y = out_pin(lib, "AND2X1", "Y");
      assert_true(fabs(pp_lut_eval(&y->timings[0].cell_rise, 60, 5) - 63.67) < 1e-6);
      assert_true(fabs(pp_lut_eval(&y->timings[0].cell_rise, 180, 12.5) - 85.985) < 1e-6);
      assert_true(lib->cells[pp_lib_find_cell(lib, "DFFPOSX1")].is_sequential);
      assert_non_null(lib->cells[pp_lib_find_cell(lib, "TBUFX1")].unsupported);
    }
    pp_lib_free(lib);
  }
  if (!found) skip();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_our_library),        cmocka_unit_test(test_fixture_units_and_tables),
      cmocka_unit_test(test_function_truth_tables), cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_published_libraries), cmocka_unit_test(test_wire_loads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
