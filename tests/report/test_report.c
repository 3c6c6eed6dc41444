/* Tests of report: the JSON reader, and that summary.json, table.csv and
 * report.html exist, parse, agree with each other and read back. */
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

#include "pp/report.h"

static void test_jv_parses_values(void **st) {
  (void)st;
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  const char *t = "{\"a\": [1, -2.5e1, true, false, null], \"b\": {\"c\": \"x\\n\\u00e9\\ud83d\\ude00\"},"
                  " \"d\": 0.125}";
  assert_int_equal(pp_jv_parse(t, "t.json", &v, &e), PP_OK);
  const pp_jv *a = pp_jv_get(&v, "a");
  assert_non_null(a);
  assert_int_equal(a->type, PP_JV_ARR);
  assert_int_equal(a->n, 5);
  assert_true(a->items[0].num == 1.0);
  assert_true(a->items[1].num == -25.0);
  assert_int_equal(a->items[2].type, PP_JV_BOOL);
  assert_int_equal(a->items[4].type, PP_JV_NULL);
  assert_string_equal(pp_jv_str(&v, "b.c", ""), "x\n\xc3\xa9\xf0\x9f\x98\x80");
  assert_true(pp_jv_num(&v, "d", 0) == 0.125);
  assert_true(pp_jv_num(&v, "missing.x", 7) == 7);
  assert_true(isnan(pp_jv_num(&v, "a", NAN))); /* wrong type gives the default */
  pp_jv_free(&v);
}

static void test_jv_errors_have_lines(void **st) {
  (void)st;
  const char *bad[] = {"{\"a\": 1,\n\"b\": }", "[1, 2", "{\"a\" 1}", "\"abc", "01x", "{\"a\":1} x", "[tru]",
                       "{\n\n\"a\": \"\\q\"}", ""};
  int lines[] = {2, 1, 1, 1, 1, 1, 1, 3, 1};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pp_jv v;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_jv_parse(bad[i], "bad.json", &v, &e), PP_EPARSE);
    assert_string_equal(e.file, "bad.json");
    assert_int_equal(e.line, lines[i]);
    assert_non_null(strstr(e.msg, "invalid JSON"));
  }
}

static void fill(pp_report *r) {
  pp_err e;
  pp_err_clear(&e);
  pp_report_init(r);
  strcpy(r->network, "lenet5");
  strcpy(r->dataset, "fashion-mnist");
  r->acc_orig = 90.5;
  r->acc_pruned = 90.1;
  r->acc_prop = 89.4;
  r->std = (pp_report_hw){281.6, 230.0, 175.0, 152.1};
  r->opt = (pp_report_hw){280.4, 120.0, 91.0, 73.1};
  r->n_weights = 32;
  r->n_acts = 176;
  r->max_delay_orig_ps = 180;
  r->max_delay_prop_ps = 140;
  r->v_nominal = 0.8;
  r->v_scaled = 0.71;
  r->sparsity = 0.6;
  strcpy(r->weights_file, "allowed_weights.txt");
  strcpy(r->acts_file, "allowed_acts.txt");
  pp_report_step s = {0, 900, 80, 256, 180, 90.2, 1};
  assert_int_equal(pp_report_add_step(r, &s, &e), PP_OK);
  s = (pp_report_step){1, 140, 32, 176, 140, 89.4, 1};
  assert_int_equal(pp_report_add_step(r, &s, &e), PP_OK);
  assert_int_equal(pp_report_add_figure(r, "power per weight.svg", "Power <per> weight value", &e), PP_OK);
  assert_int_equal(pp_report_add_figure(r, "fig8.svg", "Accuracy vs weights", &e), PP_OK);
  assert_int_equal(pp_report_add_kv(r, "model", "lenet5", &e), PP_OK);
  assert_int_equal(pp_report_add_kv(r, "seed", "1", &e), PP_OK);
  assert_int_equal(pp_report_add_kv(r, "model", "lenet5", &e), PP_OK); /* replaces, no duplicate */
  assert_int_equal(r->nkv, 2);
  pp_report_layer l1 = {"/conv1/Conv", "conv", 1, 6, 5, 150, 40.0}, l2 = {"fc<3>", "fc", 84, 10, 1, 840, 62.5};
  assert_int_equal(pp_report_add_layer(r, &l1, &e), PP_OK);
  assert_int_equal(pp_report_add_layer(r, &l2, &e), PP_OK);
}

static char dir[256];

static int setup(void **st) {
  (void)st;
  snprintf(dir, sizeof dir, "/tmp/pp_test_report.XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st) {
  (void)st;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  char *t;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_read_file(p, &t, NULL, &e), PP_OK);
  return t;
}

static void test_paper_columns(void **st) {
  (void)st;
  pp_report r;
  fill(&r);
  /* Table I, LeNet-5 row: 46.0% and 73.9% */
  assert_true(fabs(pp_report_reduction_pct(r.std.orig_mw, r.std.prop_mw) - 46.0) < 0.05);
  assert_true(fabs(pp_report_reduction_pct(r.opt.orig_mw, r.opt.prop_mw) - 73.9) < 0.05);
  char vf[32];
  pp_report_voltage_factor(&r, vf, sizeof vf);
  assert_string_equal(vf, "0.71/0.8");
  assert_true(fabs(pp_report_voltage_share_pct(&r.std) - (175.0 - 152.1) / 281.6 * 100) < 1e-12);
}

static void test_write_parse_consistent(void **st) {
  (void)st;
  pp_report r;
  fill(&r);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_report_write_all(&r, dir, &e), PP_OK);

  /* summary.json: parses, versioned, reductions computed from the powers in it */
  char p[512];
  snprintf(p, sizeof p, "%s/summary.json", dir);
  pp_jv v;
  assert_int_equal(pp_jv_load(p, &v, &e), PP_OK);
  assert_string_equal(pp_jv_str(&v, "format", ""), PP_REPORT_FORMAT);
  const char *hw[2] = {"standard_hw", "optimized_hw"};
  for (int k = 0; k < 2; k++) {
    const pp_jv *h = pp_jv_get(&v, hw[k]);
    double o = pp_jv_num(h, "orig_mw", NAN), pr = pp_jv_num(h, "prop_mw", NAN);
    double nv = pp_jv_num(h, "prop_nominal_voltage_mw", NAN);
    assert_true(fabs(pp_jv_num(h, "reduction_pct", NAN) - (o - pr) / o * 100) < 1e-9);
    assert_true(fabs(pp_jv_num(h, "voltage_share_pct", NAN) - (nv - pr) / o * 100) < 1e-9);
  }
  assert_true(pp_jv_num(&v, "selected.weights", 0) == 32);
  assert_true(pp_jv_num(&v, "delay_ps.reduction", 0) == 40);
  assert_string_equal(pp_jv_str(&v, "inputs.seed", ""), "1");

  /* table.csv: header + one row with the same numbers */
  char *csv = slurp("table.csv");
  char *nl = strchr(csv, '\n');
  assert_non_null(nl);
  *nl = 0;
  int ncols = 1;
  for (char *c = csv; *c; c++) ncols += *c == ',';
  assert_int_equal(ncols, 16);
  /* every column is a key of summary.json's table_row, and holds that number as printed */
  {
    char hdr[1024], cells[1024];
    snprintf(hdr, sizeof hdr, "%s", csv);
    snprintf(cells, sizeof cells, "%.*s", (int)strcspn(nl + 1, "\n"), nl + 1);
    char *hs = NULL, *cs = NULL;
    char *h = strtok_r(hdr, ",", &hs), *c = strtok_r(cells, ",", &cs);
    int n = 0;
    for (; h && c; h = strtok_r(NULL, ",", &hs), c = strtok_r(NULL, ",", &cs), n++) {
      const pp_jv *x = pp_jv_get(pp_jv_get(&v, "table_row"), h);
      if (!x) fail_msg("table.csv column %s is not a key of summary.json's table_row", h);
      if (x->type == PP_JV_STR) {
        assert_string_equal(x->str, c);
        continue;
      }
      const char *dot = strchr(c, '.');
      double half = 0.5 * pow(10, -(dot ? (double)strlen(dot + 1) : 0)) + 1e-9;
      if (!(fabs(strtod(c, NULL) - x->num) <= half)) fail_msg("table.csv %s = %s, summary.json %.10g", h, c, x->num);
    }
    assert_int_equal(n, 16);
  }
  pp_jv_free(&v);
  char *row = nl + 1;
  int rcols = 1;
  for (char *c = row; *c && *c != '\n'; c++) rcols += *c == ',';
  assert_int_equal(rcols, 16);
  assert_non_null(strstr(row, "lenet5,fashion-mnist,90.50,89.40,281.6000,152.1000,45.99,"));
  assert_non_null(strstr(row, ",32,176,40,0.71/0.8,"));
  free(csv);

  /* report.html: complete, shows every figure relatively and the table */
  char *html = slurp("report.html");
  assert_non_null(strstr(html, "<!DOCTYPE html>"));
  assert_non_null(strstr(html, "</html>\n"));
  assert_non_null(strstr(html, "<img src=\"power%20per%20weight.svg\""));
  assert_non_null(strstr(html, "<img src=\"fig8.svg\""));
  assert_non_null(strstr(html, "Power &lt;per&gt; weight value"));
  assert_non_null(strstr(html, "<td>46.0%</td>"));
  assert_non_null(strstr(html, "<td>73.9%</td>"));
  assert_null(strstr(html, "src=\"/")); /* never absolute */
  assert_non_null(strstr(html, "<h2>Weight layers</h2>"));
  assert_non_null(strstr(html, "2 layers, 990 weights"));
  assert_non_null(strstr(html, "<td class=l>fc&lt;3&gt;</td><td class=l>fc</td><td>84</td><td>10</td>"));
  int opens = 0, closes = 0;
  for (char *q = html; (q = strstr(q, "<table")); q++) opens++;
  for (char *q = html; (q = strstr(q, "</table>")); q++) closes++;
  assert_int_equal(opens, closes);
  free(html);

  /* read back */
  pp_report b;
  assert_int_equal(pp_report_load(p, &b, &e), PP_OK);
  assert_string_equal(b.network, r.network);
  assert_true(b.std.prop_nv_mw == r.std.prop_nv_mw && b.opt.pruned_mw == r.opt.pruned_mw);
  assert_true(b.acc_prop == r.acc_prop && b.v_scaled == r.v_scaled);
  assert_int_equal(b.nsteps, 2);
  assert_true(b.steps[1].phase == 1 && b.steps[1].n_acts == 176 && b.steps[1].accepted);
  assert_int_equal(b.nfigs, 2);
  assert_string_equal(b.figs[0].caption, "Power <per> weight value");
  assert_int_equal(b.nkv, 2);
  assert_string_equal(b.kv[1].key, "seed");
  /* the layer table: every layer by its name, read back whole */
  assert_int_equal(b.nlayers, 2);
  assert_string_equal(b.layers[0].name, "/conv1/Conv");
  assert_true(b.layers[1].in_ch == 84 && b.layers[1].out_ch == 10 && b.layers[1].weights == 840 &&
              b.layers[1].pruned_pct == 62.5 && !strcmp(b.layers[1].kind, "fc"));
  /* no temporary files left behind */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
  assert_int_not_equal(system(cmd), 0);
}

static void test_validate_rejects(void **st) {
  (void)st;
  pp_report r;
  pp_err e;
  fill(&r);
  r.std.orig_mw = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_report_write_all(&r, dir, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "standard_hw.orig_mw"));
  fill(&r);
  r.acc_prop = NAN;
  pp_err_clear(&e);
  assert_int_equal(pp_report_validate(&r, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "acc_prop"));
  fill(&r);
  r.v_scaled = 0.9;
  pp_err_clear(&e);
  assert_int_equal(pp_report_validate(&r, &e), PP_EINVAL);
  /* a summary of another format version is refused with the file named */
  char p[512];
  snprintf(p, sizeof p, "%s/old.json", dir);
  FILE *f = fopen(p, "w");
  fputs("{\"format\": \"powerprune-summary/0\"}\n", f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_report_load(p, &r, &e), PP_EPARSE);
  assert_string_equal(e.file, p);
  /* a count that is no int (the fuzzer's 4e14, a fraction) is one clear error naming the member */
  static const char *const bad[] = {"{\"format\": \"" PP_REPORT_FORMAT "\", \"selected\": {\"weights\": 4e14}}",
                                    "{\"format\": \"" PP_REPORT_FORMAT "\", \"steps\": [{\"activations\": 2.5}]}",
                                    "{\"format\": \"" PP_REPORT_FORMAT "\",\n \"layers\": [\n  {\"name\": \"c\", \"kind\": \"fc\", \"in\": 0}]}",
                                    "{\"format\": \"" PP_REPORT_FORMAT "\", \"layers\": {}}"};
  static const char *const member[] = {"\"selected.weights\": expected an integer count, got 4e+14",
                                       "\"activations\": expected an integer count, got 2.5",
                                       "\"layers[0].in\": expected an integer in [1, 1000000000], got 0",
                                       "\"layers\": expected an array"};
  for (int k = 0; k < 4; k++) {
    f = fopen(p, "w");
    fputs(bad[k], f);
    fclose(f);
    pp_err_clear(&e);
    assert_int_equal(pp_report_load(p, &r, &e), PP_EPARSE);
    assert_string_equal(e.file, p);
    if (!strstr(e.msg, member[k])) fail_msg("case %d: %s", k, e.msg);
    if (k == 2) assert_int_equal(e.line, 3); /* the layer's own line */
  }
}

static void add_pann(pp_report *r) {
  pp_err e;
  pp_err_clear(&e);
  pp_report_pann *s = &r->pann;
  s->float_acc = 90.1;
  s->test_images = 10000;
  s->energy_images = 10;
  strcpy(s->accum, "split");
  strcpy(s->models, "booth <mult>, ripple adder");
  pp_report_pann_point pts[] = {
      {"uniform", 2, 2, 2, NAN, 12.0, 7.5, 38.5},  {"uniform", 8, 8, 8, NAN, 720.3, 538.1, 89.6},
      {"pann", 2, 0, 4, 0.883, 12.0, 6.74, 81.0},  {"pann", 8, 0, 6, 42.7, 720.3, 414.1, 89.5},
      {"int8", 8, 8, 8, NAN, NAN, 532.9, 90.5},    {"powerpruning", 8, 8, 8, NAN, NAN, 120.25, 89.4},
  };
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) assert_int_equal(pp_report_pann_add(s, &pts[i], &e), PP_OK);
}

static void test_pann_section(void **st) {
  (void)st;
  pp_report r;
  fill(&r);
  add_pann(&r);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_report_write_all(&r, dir, &e), PP_OK);
  /* summary.json: a versioned section that reads back point for point */
  char p[512];
  snprintf(p, sizeof p, "%s/summary.json", dir);
  pp_report b;
  assert_int_equal(pp_report_load(p, &b, &e), PP_OK);
  assert_true(b.pann.present);
  assert_int_equal(b.pann.npts, 6);
  assert_int_equal(b.pann.test_images, 10000);
  assert_string_equal(b.pann.models, "booth <mult>, ripple adder");
  for (int i = 0; i < 6; i++) {
    const pp_report_pann_point *x = &r.pann.pts[i], *y = &b.pann.pts[i];
    assert_string_equal(x->method, y->method);
    assert_int_equal(x->budget_bits, y->budget_bits);
    assert_int_equal(x->w_bits, y->w_bits);
    assert_int_equal(x->a_bits, y->a_bits);
    assert_true(x->power_fj == y->power_fj && x->acc == y->acc);
    assert_true(isnan(x->R) ? isnan(y->R) : x->R == y->R);
  }
  assert_true(pp_report_pann_find(&b.pann, "powerpruning")->power_fj == 120.25);
  assert_null(pp_report_pann_find(&b.pann, "pruned"));
  /* pann_compare.csv: header and one row per point, empty cells for what does not apply */
  char *csv = slurp("pann_compare.csv");
  assert_non_null(strstr(csv, "method,budget_bits,w_bits,a_bits,R,budget_fj_per_mac,energy_fj_per_mac,accuracy_pct\n"));
  assert_non_null(strstr(csv, "\npann,2,,4,0.883,12.0000,6.7400,81.00\n"));
  assert_non_null(strstr(csv, "\npowerpruning,8,8,8,,,120.2500,89.40\n"));
  free(csv);
  /* report.html: the table, escaped, and the warning about the scale */
  char *html = slurp("report.html");
  assert_non_null(strstr(html, "booth &lt;mult&gt;, ripple adder"));
  assert_non_null(strstr(html, "Do not compare these numbers with Table I"));
  assert_non_null(strstr(html, "<td class=l>PowerPruning (this run)</td>"));
  assert_non_null(strstr(html, "<td>120.25</td>"));
  free(html);
  /* without the comparison: "pann": null, nothing rendered, nothing read */
  fill(&r);
  assert_int_equal(pp_report_write_all(&r, dir, &e), PP_OK);
  assert_int_equal(pp_report_load(p, &b, &e), PP_OK);
  assert_false(b.pann.present);
  html = slurp("report.html");
  assert_null(strstr(html, "PowerPruning beside PANN"));
  free(html);
  /* a bad point is refused with its method named; a section of another version too */
  fill(&r);
  add_pann(&r);
  r.pann.pts[3].acc = 140;
  pp_err_clear(&e);
  assert_int_equal(pp_report_validate(&r, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "(pann)"));
  pp_jv v;
  assert_int_equal(pp_jv_parse("{\"format\": \"powerprune-pann-section/0\", \"points\": []}", "x.json", &v, &e),
                   PP_OK);
  pp_report_pann s;
  pp_err_clear(&e);
  assert_int_equal(pp_report_pann_parse(&v, &s, "x.json", &e), PP_EPARSE);
  assert_string_equal(e.file, "x.json");
  pp_jv_free(&v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jv_parses_values),
      cmocka_unit_test(test_jv_errors_have_lines),
      cmocka_unit_test(test_paper_columns),
      cmocka_unit_test(test_write_parse_consistent),
      cmocka_unit_test(test_validate_rejects),
      cmocka_unit_test(test_pann_section),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
