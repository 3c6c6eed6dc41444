/* `powerprune compare DIR1 DIR2 ...` on two run folders made with the report
 * module (summary.json) and `run --dry-run` (run.json): compare.csv has the
 * table.csv row of each run (the same code writes both) and a column per
 * option that differs, --json prints one document with the same numbers,
 * the plot's CSV has one point per run and per unpruned network, and a bad
 * folder is one error naming the file. The CLI runs in the test's folder:
 * every path is absolute. */
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

#include "pp/plot.h"
#include "pp/report.h"
#include "pp_test.h"

static char dir[256];
static pp_report ra, rb;

static void fill(pp_report *r, double opt_prop_mw, double acc_prop) {
  pp_report_init(r);
  strcpy(r->network, "lenet5");
  strcpy(r->dataset, "fashion-mnist");
  r->acc_orig = 90.5;
  r->acc_pruned = 90.1;
  r->acc_prop = acc_prop;
  r->std = (pp_report_hw){281.6, 230.0, 175.0, 152.1};
  r->opt = (pp_report_hw){280.4, 120.0, 91.0, opt_prop_mw};
  r->n_weights = 32;
  r->n_acts = 176;
  r->max_delay_orig_ps = 180;
  r->max_delay_prop_ps = 140;
  r->v_nominal = 0.8;
  r->v_scaled = 0.71;
  r->sparsity = 0.6;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

/* dir/name with summary.json of r and, with tolerance non-NULL, the run.json
 * that `run --dry-run` prints for that tolerance. */
static void make_run(const char *name, const pp_report *r, const char *tolerance) {
  char d[300], p[400];
  snprintf(d, sizeof d, "%s/%s", dir, name);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_mkdirs(d, &e), PP_OK);
  snprintf(p, sizeof p, "%s/summary.json", d);
  assert_int_equal(pp_report_write_json(r, p, &e), PP_OK);
  if (!tolerance) return;
  char *out = NULL;
  assert_int_equal(pp_test_cli(dir, &out, "run", "--out", d, "--tolerance", tolerance, "--dry-run", NULL), 0);
  snprintf(p, sizeof p, "%s/run.json", d);
  write_text(p, out);
  free(out);
}

static int setup(void **st) {
  (void)st;
  return pp_test_tmpdir(dir, sizeof dir, "pp_test_compare");
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(dir);
}

/* The report's own CSV row of r, as the run folder's table.csv holds it. */
static char *csv_row(const pp_report *r) {
  char *t = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&t, &n);
  assert_non_null(f);
  pp_report_csv_row(f, r);
  fclose(f);
  return t;
}

static void test_compare_two_runs(void **st) {
  (void)st;
  if (!getenv("PP_EXE")) skip();
  fill(&ra, 73.1, 89.4);
  fill(&rb, 61.25, 88.0);
  make_run("a", &ra, "1.5");
  make_run("b", &rb, "3");
  char da[300], db[300], out[300];
  snprintf(da, sizeof da, "%s/a", dir);
  snprintf(db, sizeof db, "%s/b", dir);
  snprintf(out, sizeof out, "%s/cmp", dir);
  char *js = NULL;
  assert_int_equal(pp_test_cli(dir, &js, "compare", da, db, "-o", out, "--json", NULL), 0);

  /* stdout: exactly one JSON document */
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  if (pp_jv_parse(js, "stdout", &v, &e)) fail_msg("stdout: %s\n%s", e.msg, js);
  assert_string_equal(pp_jv_str(&v, "format", ""), "powerprune-compare/1");
  const pp_jv *runs = pp_jv_get(&v, "runs");
  assert_non_null(runs);
  assert_int_equal(runs->n, 2);
  assert_true(pp_jv_num(&runs->items[1], "optimized_hw.prop_mw", 0) == 61.25);
  assert_true(pp_jv_num(&runs->items[0], "accuracy_pct.prop", 0) == 89.4);
  assert_string_equal(pp_jv_str(&runs->items[0], "dir", ""), da);
  const pp_jv *diff = pp_jv_get(&v, "differing_options");
  assert_non_null(diff);
  assert_int_equal(diff->n, 1); /* only the tolerance: "out" is the dir column */
  assert_string_equal(diff->keys[0], "tolerance");
  assert_string_equal(diff->items[0].items[0].str, "1.5");
  assert_string_equal(diff->items[0].items[1].str, "3");
  pp_jv_free(&v);
  free(js);

  /* compare.csv: table.csv's header and rows, the dir first, the option last */
  char *csv = pp_test_slurp(pp_test_path(out, "compare.csv"));
  assert_non_null(csv);
  char *ra_row = csv_row(&ra), *rb_row = csv_row(&rb), want[4096];
  snprintf(want, sizeof want, "dir,%s,option_tolerance\n%s,%s,1.5\n%s,%s,3\n", pp_report_csv_header(), da, ra_row,
           db, rb_row);
  assert_string_equal(csv, want);
  free(ra_row);
  free(rb_row);
  free(csv);

  char *html = pp_test_slurp(pp_test_path(out, "compare.html"));
  assert_non_null(html);
  assert_non_null(strstr(html, "compare.csv"));
  assert_non_null(strstr(html, "61.2500"));
  assert_non_null(strstr(html, "--tolerance"));
  if (pp_plot_available()) {
    assert_non_null(strstr(html, "compare_accuracy_power.svg"));
    /* the plotted points: one per run at (Optimized HW mW, accuracy), one per unpruned network */
    char *pts = pp_test_slurp(pp_test_path(out, "compare_accuracy_power.csv"));
    assert_non_null(pts);
    int rows = 0, found_b = 0;
    for (char *line = strtok(pts, "\n"); line; line = strtok(NULL, "\n"), rows++) {
      size_t dl = strlen(db);
      if (!strncmp(line, db, dl) && line[dl] == ',') {
        double x = strtod(line + dl + 1, NULL);
        found_b = fabs(x - 61.25) < 1e-6;
      }
    }
    assert_int_equal(rows, 1 + 2 + 2);
    assert_true(found_b);
    free(pts);
  }
  free(html);
}

static void test_compare_bad_folders(void **st) {
  (void)st;
  if (!getenv("PP_EXE")) skip();
  fill(&ra, 73.1, 89.4);
  make_run("good", &ra, NULL); /* no run.json: still compared */
  char good[300], p[400];
  snprintf(good, sizeof good, "%s/good", dir);
  assert_int_equal(pp_test_cli(dir, NULL, "compare", good, "-o", pp_test_path(dir, "o1"), NULL), 0);

  /* no summary.json, a malformed one, a run.json of another format */
  snprintf(p, sizeof p, "%s/bad1", dir);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_mkdirs(p, &e), PP_OK);
  fill(&rb, 61.25, 88.0);
  make_run("bad2", &rb, NULL);
  write_text(pp_test_path(dir, "bad2/summary.json"), "{\"format\": \"powerprune-summary/1\", ");
  make_run("bad3", &rb, NULL);
  write_text(pp_test_path(dir, "bad3/run.json"), "{\"format\": \"powerprune-run/9\", \"options\": {}}");
  static const char *const bad[][2] = {
      {"bad1", "bad1/summary.json"}, {"bad2", "bad2/summary.json"}, {"bad3", "bad3/run.json"}};
  for (size_t k = 0; k < 3; k++) {
    int rc = pp_test_cli(dir, NULL, "compare", good, pp_test_path(dir, bad[k][0]), "-o", pp_test_path(dir, "o2"),
                         NULL);
    char *err = pp_test_slurp(pp_test_path(dir, "stderr.txt"));
    assert_non_null(err);
    if (rc == 0 || !strstr(err, bad[k][1])) fail_msg("%s: exit %d, stderr '%s'", bad[k][0], rc, err);
    free(err);
  }
  assert_int_equal(pp_test_cli(dir, NULL, "compare", NULL), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compare_two_runs),
      cmocka_unit_test(test_compare_bad_folders),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
