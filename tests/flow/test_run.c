/* End-to-end test of `powerprune run --quick` on a small synthetic data set:
 * every report file exists, parses and agrees with itself (reductions from
 * the powers shown, selected counts from the allowed-set files, figures on
 * disk); a rerun skips every stage; an interrupted run (late stage files
 * deleted) resumes, skipping the early stages, with the same result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <regex.h>
#include <unistd.h>

#include "pp/flow.h"
#include "pp/plot.h"
#include "pp/report.h"
#include "pp/select.h"
#include "figcheck.h"
#include "pp_test.h"

static char dir[256];
static char out_dir[300], cache_dir[300];

static int setup(void **st) {
  (void)st;
  if (pp_test_tmpdir(dir, sizeof dir, "pp_test_run")) return -1;
  snprintf(out_dir, sizeof out_dir, "%s/out", dir);
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", dir);
  /* one thread: the data are tiny, and ctest runs other tests beside this one */
  return setenv("OMP_NUM_THREADS", "1", 1);
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(dir);
}

/* Runs the quick flow with up to four extra arguments (the first NULL ends
 * them), stderr into dir/stderr.txt; returns the exit status. Small enough
 * for a test, large enough that every stage does real work. */
static int run4(const char *extra1, const char *extra2, const char *extra3, const char *extra4) {
  int asan = getenv("PP_ASAN") != NULL;
  const char *const args[] = {"run", "--quick", "--data", "synthetic", "--train-images", asan ? "300" : "600",
                              "--test-images", asan ? "100" : "200", "--epochs", "2", "--trace-images", "2",
                              "--transitions", asan ? "60" : "200", "--repeats", "2", "--power-counts", "128,48",
                              "--array", "32", "--tick-ps", "10", "--seed", "3", "--candidates", "3", "--refine", "1", "--out", out_dir, "--cache", cache_dir,
                              extra1, extra2, extra3, extra4, NULL};
  return pp_test_cliv(dir, NULL, args);
}

static int run(const char *extra1, const char *extra2) { return run4(extra1, extra2, NULL, NULL); }

/* How many files match dir/pattern. */
static size_t count_files(const char *pattern) {
  glob_t g;
  int rc = glob(pp_test_path(dir, pattern), 0, NULL, &g);
  size_t n = rc ? 0 : g.gl_pathc;
  if (!rc) globfree(&g);
  return n;
}

/* Removes dir/rel, which must exist. */
static void remove_file(const char *rel) {
  const char *p = pp_test_path(dir, rel);
  if (unlink(p)) fail_msg("cannot remove %s", p);
}

static char *slurp(const char *rel) {
  char p[512], *t;
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  pp_err e;
  pp_err_clear(&e);
  if (pp_read_file(p, &t, NULL, &e)) fail_msg("cannot read %s: %s", p, e.msg);
  return t;
}

/* The comparison with PANN: a versioned section in summary.json, the same
 * points in pann_compare.csv, a table and the plot in report.html, and the
 * PowerPruning network cheaper than the unpruned int8 one on the bit-flip
 * models. */
static void check_pann(void) {
  pp_err e;
  pp_err_clear(&e);
  char p[512];
  snprintf(p, sizeof p, "%s/out/summary.json", dir);
  pp_jv v;
  assert_int_equal(pp_jv_load(p, &v, &e), PP_OK);
  const pp_jv *sec = pp_jv_get(&v, "pann");
  assert_non_null(sec);
  assert_string_equal(pp_jv_str(sec, "format", ""), PP_REPORT_PANN_FORMAT);
  pp_report_pann s;
  assert_int_equal(pp_report_pann_parse(sec, &s, p, &e), PP_OK);
  assert_true(s.present);
  const pp_report_pann_point *i8 = pp_report_pann_find(&s, "int8"), *pp = pp_report_pann_find(&s, "powerpruning");
  assert_non_null(i8);
  assert_non_null(pp);
  assert_true(pp->power_fj > 0 && i8->power_fj > 0);
  assert_true(pp->power_fj < i8->power_fj);
  /* placed at the accuracies the flow measured */
  assert_true(fabs(i8->acc - pp_jv_num(&v, "accuracy_pct.orig", NAN)) < 1e-9);
  assert_true(fabs(pp->acc - pp_jv_num(&v, "accuracy_pct.prop", NAN)) < 1e-9);
  /* plain b-bit and PANN at every budget of the quick sweep (2..3 bits) */
  int nu = 0, np = 0;
  for (int i = 0; i < s.npts; i++) {
    const pp_report_pann_point *q = &s.pts[i];
    assert_true(q->acc >= 0 && q->acc <= 100 && q->power_fj >= 0);
    if (!strcmp(q->method, "uniform")) {
      nu++;
      assert_int_equal(q->w_bits, q->budget_bits);
    }
    if (!strcmp(q->method, "pann")) {
      np++;
      assert_true(q->R > 0);
      assert_int_equal(q->w_bits, 0);
    }
  }
  assert_int_equal(nu, 2);
  assert_int_equal(np, 2);
  /* the csv holds the same points */
  char *csv = slurp("out/pann_compare.csv");
  int rows = 0;
  for (char *q = csv; *q; q++) rows += *q == '\n';
  assert_int_equal(rows, s.npts + 1);
  char expect[128];
  snprintf(expect, sizeof expect, "powerpruning,8,8,8,,,%.4f,%.2f\n", pp->power_fj, pp->acc);
  assert_non_null(strstr(csv, expect));
  free(csv);
  /* the html shows the table, the plot and says which scale it is on */
  char *html = slurp("out/report.html");
  assert_non_null(strstr(html, "PowerPruning beside PANN"));
  assert_non_null(strstr(html, "Do not compare these numbers with Table I"));
  assert_string_equal(s.figure, "pann_accuracy_power.svg");
  assert_non_null(strstr(html, "<img src=\"pann_accuracy_power.svg\""));
  free(html);
  char *svg = slurp("out/pann_accuracy_power.svg");
  assert_non_null(strstr(svg, "<svg"));
  free(svg);
  pp_jv_free(&v);
}

/* --pann-qat-steps N: stage 01-pann also fine-tunes PANN at the 2- and 3-bit budgets through the same
 * library call as `pann qat`; the option enters the PANN stages' keys only, and the report shows the two
 * points (table, csv, plot). */
static int count(const char *text, const char *needle);
static void check_pann_qat(void) {
  assert_int_equal(run4("--power-tolerance", "0.25", "--pann-qat-steps", "20"), 0);
  char *log = slurp("stderr.txt");
  assert_non_null(strstr(log, "stage 03-prune: done already"));
  assert_null(strstr(log, "stage 01-pann: done already"));
  assert_non_null(strstr(log, "PANN + QAT at 2 bits"));
  assert_non_null(strstr(log, "PANN + QAT at 3 bits"));
  free(log);
  pp_err e;
  pp_err_clear(&e);
  pp_jv v;
  assert_int_equal(pp_jv_load(pp_test_path(out_dir, "summary.json"), &v, &e), PP_OK);
  pp_report_pann s;
  assert_int_equal(pp_report_pann_parse(pp_jv_get(&v, "pann"), &s, "summary.json", &e), PP_OK);
  int nq = 0;
  for (int i = 0; i < s.npts; i++) {
    const pp_report_pann_point *q = &s.pts[i];
    if (strcmp(q->method, "pann-qat")) continue;
    assert_int_equal(q->budget_bits, 2 + nq++);
    assert_true(q->a_bits >= 2 && q->a_bits <= 8 && q->R > 0 && q->power_fj > 0 && q->acc >= 0 && q->acc <= 100);
  }
  assert_int_equal(nq, 2);
  pp_jv_free(&v);
  char *csv = slurp("out/pann_compare.csv");
  assert_int_equal(count(csv, "\npann-qat,"), 2);
  free(csv);
  char *html = slurp("out/report.html");
  assert_non_null(strstr(html, "PANN, fine-tuned (QAT)"));
  free(html);
  char *svg = slurp("out/pann_accuracy_power.svg");
  assert_non_null(strstr(svg, "PANN fine-tuned (QAT)"));
  free(svg);
}

/* The one JSON convention and the data beside every figure, over a folder:
 * every *.json has "format": "powerprune-<kind>/<version>"; every *.svg has
 * its *.csv, *.png, *.pdf, and shows every point of the csv. Returns the
 * number of files of each kind checked. */
static void check_folder(const char *rel, int *njson, int *nsvg) {
  char d[600];
  snprintf(d, sizeof d, "%s/%s", dir, rel);
  DIR *dp = opendir(d);
  assert_non_null(dp);
  regex_t re;
  assert_int_equal(regcomp(&re, "^powerprune-[a-z0-9-]+/[0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
  struct dirent *de;
  while ((de = readdir(dp))) {
    size_t n = strlen(de->d_name);
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", d, de->d_name);
    if (n > 5 && !strcmp(de->d_name + n - 5, ".json")) {
      pp_jv v;
      pp_err e;
      pp_err_clear(&e);
      if (pp_jv_load(p, &v, &e)) fail_msg("%s does not parse: %s", p, e.msg);
      const char *fmt = pp_jv_str(&v, "format", "");
      if (regexec(&re, fmt, 0, NULL, 0)) fail_msg("%s: format '%s' is not powerprune-<kind>/<version>", p, fmt);
      pp_jv_free(&v);
      (*njson)++;
    } else if (n > 4 && !strcmp(de->d_name + n - 4, ".svg")) {
      char base[1000], why[512] = "";
      snprintf(base, sizeof base, "%.*s", (int)(strlen(p) - 4 < 990 ? strlen(p) - 4 : 990), p);
      if (figcheck(base, why, sizeof why)) fail_msg("%s", why);
      static const char *ext[2] = {".png", ".pdf"};
      for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s%s", base, ext[k]);
        if (access(p, R_OK)) fail_msg("%s is missing beside its svg", p);
      }
      (*nsvg)++;
    }
  }
  closedir(dp);
  regfree(&re);
}

/* `run --json` printed one JSON object and nothing else: the result row. */
static void check_run_json(void) {
  char *out = slurp("stdout.txt");
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  if (pp_jv_parse(out, "stdout", &v, &e)) fail_msg("run --json stdout is not one JSON document: %s", e.msg);
  assert_string_equal(pp_jv_str(&v, "format", ""), PP_REPORT_RESULT_FORMAT);
  for (int k = 0; k < 2; k++) {
    const char *hw = k ? "optimized_hw" : "standard_hw";
    const pp_jv *h = pp_jv_get(&v, hw);
    assert_non_null(h);
    assert_true(pp_jv_num(h, "orig_mw", NAN) > 0);
    assert_true(pp_jv_num(h, "prop_mw", NAN) > 0);
  }
  assert_true(pp_jv_num(&v, "delay_ps.orig", NAN) > 0);
  assert_true(pp_jv_num(&v, "voltage.scaled_v", NAN) > 0);
  assert_true(pp_jv_num(&v, "selected.weights", 0) >= 1);
  const char *sum = pp_jv_str(&v, "files.summary", "");
  assert_int_equal(access(sum, R_OK), 0);
  /* the same numbers as summary.json */
  pp_jv s;
  assert_int_equal(pp_jv_load(sum, &s, &e), PP_OK);
  assert_true(pp_jv_num(&s, "optimized_hw.prop_mw", NAN) == pp_jv_num(&v, "optimized_hw.prop_mw", 1));
  pp_jv_free(&s);
  pp_jv_free(&v);
  free(out);
}

/* One set of defaults (issue 17): `sta` on the built-in MAC, with no architecture given, times the MAC the run
 * clocked, so its critical path is the run's clock period. */
static void check_clock_is_sta(void) {
  pp_err e;
  pp_err_clear(&e);
  pp_jv pw, sta;
  assert_int_equal(pp_jv_load(pp_test_path(dir, "out/power.json"), &pw, &e), PP_OK);
  double clock_ps = pp_jv_num(&pw, "clock_ps", NAN);
  pp_jv_free(&pw);
  char *out = NULL;
  assert_int_equal(pp_test_cli(dir, &out, "sta", "--json", (const char *)NULL), 0);
  if (pp_jv_parse(out, "sta stdout", &sta, &e)) fail_msg("sta --json stdout is not one JSON document: %s", e.msg);
  double sta_ps = pp_jv_num(&sta, "critical_path_ps", NAN);
  if (!(clock_ps > 0) || sta_ps != clock_ps) fail_msg("run's clock %.1f ps, sta's critical path %.1f ps", clock_ps, sta_ps);
  pp_jv_free(&sta);
  free(out);
}

static void check_report(void) {
  pp_err e;
  pp_err_clear(&e);
  char p[512];
  snprintf(p, sizeof p, "%s/out/summary.json", dir);
  pp_jv v;
  assert_int_equal(pp_jv_load(p, &v, &e), PP_OK);
  assert_string_equal(pp_jv_str(&v, "format", ""), PP_REPORT_FORMAT);
  /* reductions computed from the powers shown */
  const char *hw[2] = {"standard_hw", "optimized_hw"};
  for (int k = 0; k < 2; k++) {
    const pp_jv *h = pp_jv_get(&v, hw[k]);
    double o = pp_jv_num(h, "orig_mw", NAN), pr = pp_jv_num(h, "prop_mw", NAN);
    double nv = pp_jv_num(h, "prop_nominal_voltage_mw", NAN);
    assert_true(o > 0 && pr > 0 && nv >= pr);
    assert_true(fabs(pp_jv_num(h, "reduction_pct", NAN) - (o - pr) / o * 100) < 1e-9);
    assert_true(fabs(pp_jv_num(h, "voltage_share_pct", NAN) - (nv - pr) / o * 100) < 1e-9);
  }
  /* Optimized HW gates what Standard HW burns */
  assert_true(pp_jv_num(&v, "optimized_hw.prop_mw", 0) <= pp_jv_num(&v, "standard_hw.prop_mw", 0));
  double a0 = pp_jv_num(&v, "accuracy_pct.orig", NAN), a1 = pp_jv_num(&v, "accuracy_pct.prop", NAN);
  assert_true(a0 >= 0 && a0 <= 100 && a1 >= 0 && a1 <= 100);
  /* selected counts match the allowed-set files */
  uint8_t mask[256];
  int nw = -1, na = -1;
  snprintf(p, sizeof p, "%s/out/%s", dir, pp_jv_str(&v, "selected.weights_file", "?"));
  assert_int_equal(pp_select_read_values(p, -127, 127, mask, &nw, &e), PP_OK);
  snprintf(p, sizeof p, "%s/out/%s", dir, pp_jv_str(&v, "selected.activations_file", "?"));
  assert_int_equal(pp_select_read_values(p, 0, 255, mask, &na, &e), PP_OK);
  assert_int_equal(nw, (int)pp_jv_num(&v, "selected.weights", -1));
  assert_int_equal(na, (int)pp_jv_num(&v, "selected.activations", -1));
  /* the delay claimed is what the allowed sets give on the delay table */
  assert_true(pp_jv_num(&v, "delay_ps.prop", 1e9) <= pp_jv_num(&v, "delay_ps.orig", 0));
  /* the options that produced it are recorded */
  assert_string_equal(pp_jv_str(&v, "inputs.seed", ""), "3");
  assert_string_equal(pp_jv_str(&v, "inputs.quick", ""), "yes");
  /* decisions on images held out of the training set (synthetic: a quarter of it, at least 200) */
  assert_int_equal((int)pp_jv_num(&v, "decision_images", 0), 200);
  assert_true(isfinite(pp_jv_num(&v, "budget_points.pruning", NAN)));
  /* the budget's parts add up to the kept network's decision loss; the final pruning phase only adds zeros */
  double parts = 0;
  static const char *const spent[] = {"pruning", "power_phase", "delay_phase", "sparsity_phase"};
  for (int k = 0; k < 4; k++) {
    char key[64];
    snprintf(key, sizeof key, "budget_points.%s", spent[k]);
    assert_true(isfinite(pp_jv_num(&v, key, NAN)));
    parts += pp_jv_num(&v, key, NAN);
  }
  assert_true(parts <= pp_jv_num(&v, "budget_points.total", NAN) + 1e-9 || pp_jv_num(&v, "accepted_steps", 0) == 0);
  assert_true(pp_jv_num(&v, "sparsity_final", NAN) >= pp_jv_num(&v, "sparsity", NAN) - 1e-9);
  const pp_jv *steps = pp_jv_get(&v, "steps");
  for (size_t i = 0; steps && i < steps->n; i++)
    if (!strcmp(pp_jv_str(&steps->items[i], "phase", ""), "sparsity"))
      assert_true(pp_jv_num(&steps->items[i], "threshold", 0) > pp_jv_num(&v, "sparsity", 1));
  /* every figure is on disk and shown in report.html, relatively */
  char *html = slurp("out/report.html");
  const pp_jv *figs = pp_jv_get(&v, "figures");
  assert_non_null(figs);
  assert_true(figs->n >= 6);
  for (size_t i = 0; i < figs->n; i++) {
    const char *f = pp_jv_str(&figs->items[i], "file", "");
    char rel[512], src[600];
    snprintf(rel, sizeof rel, "out/%s", f);
    char *svg = slurp(rel);
    assert_non_null(strstr(svg, "<svg"));
    free(svg);
    snprintf(src, sizeof src, "<img src=\"%s\"", f);
    assert_non_null(strstr(html, src));
  }
  /* the report says what happened, first, and links each figure's data */
  assert_non_null(strstr(html, "<p class=summary>PowerPruning kept <strong>"));
  assert_non_null(strstr(html, "<a href=\"power_per_weight.csv\">"));
  if (pp_jv_num(&v, "selected.weights", 0) == 255 && pp_jv_num(&v, "selected.activations", 0) == 256)
    assert_non_null(strstr(html, "Warning: no PowerPruning step was accepted"));
  free(html);
  int nj = 0, ns = 0;
  check_folder("out", &nj, &ns);
  check_folder("out/stages", &nj, &ns);
  assert_true(nj >= 10);
  assert_true(ns >= 9);
  /* the weight layers by name, with their pruned share */
  {
    const pp_jv *ls = pp_jv_get(&v, "layers");
    assert_true(ls && ls->type == PP_JV_ARR && ls->n == 5); /* LeNet-5: conv1, conv2, fc1..fc3 */
    assert_string_equal(pp_jv_str(&ls->items[0], "name", ""), "conv1");
    double pr = pp_jv_num(&ls->items[0], "pruned_pct", NAN);
    assert_true(pr >= 0 && pr <= 100);
  }
  /* table.csv: one row, the same numbers */
  char *csv = slurp("out/table.csv");
  char *row = strchr(csv, '\n');
  assert_non_null(row);
  row++;
  char expect[128];
  snprintf(expect, sizeof expect, ",%.2f,", pp_jv_num(&v, "standard_hw.reduction_pct", NAN));
  assert_non_null(strstr(row, expect));
  snprintf(expect, sizeof expect, ",%d,%d,", nw, na);
  assert_non_null(strstr(row, expect));
  free(csv);
  pp_jv_free(&v);
  check_pann();
  /* the stage files record their options */
  snprintf(p, sizeof p, "%s/out/stages/01-train.json", dir);
  assert_int_equal(pp_jv_load(p, &v, &e), PP_OK);
  assert_string_equal(pp_jv_str(&v, "options.model", ""), "lenet5");
  assert_string_equal(pp_jv_str(&v, "options.seed", ""), "3");
  pp_jv_free(&v);
}

static int count(const char *text, const char *needle) {
  int n = 0;
  for (const char *q = text; (q = strstr(q, needle)); q++) n++;
  return n;
}

/* --lib-at: the library at 0.7 and 0.6 V (timing x1.4 and x2.2): the law is
 * fitted through the three supplies' static timing and used; without the
 * option the run is back on the default law and the fit's file is gone; a
 * library that is faster at a lower supply stops the run before training. */
static void check_lib_at(void) {
  char l7[512], l6[512], bad[512];
  snprintf(l7, sizeof l7, "0.7=%s", pp_test_path(dir, "lib07.lib"));
  snprintf(l6, sizeof l6, "0.6=%s", pp_test_path(dir, "lib06.lib"));
  snprintf(bad, sizeof bad, "0.7=%s", pp_test_path(dir, "libbad.lib"));
  assert_int_equal(pp_test_scaled_lib(l7 + 4, 0.7, 1.4, 0.77, 0.6), 0);
  assert_int_equal(pp_test_scaled_lib(l6 + 4, 0.6, 2.2, 0.56, 0.35), 0);
  assert_int_equal(pp_test_scaled_lib(bad + 4, 0.7, 0.9, 0.77, 0.6), 0);
  assert_int_equal(run4("--lib-at", l7, "--lib-at", l6), 0);
  pp_jv f;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_load(pp_test_path(out_dir, "voltage_fit.json"), &f, &e), PP_OK);
  const pp_jv *pts = pp_jv_get(&f, "points");
  assert_true(pts && pts->type == PP_JV_ARR && pts->n == 3);
  assert_true(pp_jv_num(&pts->items[1], "v", 0) == 0.7 && pp_jv_num(&pts->items[2], "v", 0) == 0.6);
  double d0 = pp_jv_num(&pts->items[0], "critical_ps", 0);
  for (size_t i = 0; i < 3; i++) { /* two ratios, two parameters: the law goes through every point */
    double d = pp_jv_num(&pts->items[i], "critical_ps", 0), law = pp_jv_num(&pts->items[i], "law_ps", 0);
    assert_true(d > 0 && fabs(law - d) < 1e-6 * d);
  }
  assert_true(pp_jv_num(&pts->items[2], "critical_ps", 0) > 2 * d0); /* static timing at the scaled library */
  assert_true(pp_jv_get(&f, "alpha_fitted")->num == 1);
  double vth = pp_jv_num(&f, "vth", -1), alpha = pp_jv_num(&f, "alpha", -1);
  pp_jv_free(&f);
  pp_jv est;
  assert_int_equal(pp_jv_load(pp_test_path(out_dir, "estimate.json"), &est, &e), PP_OK);
  assert_int_equal((int)pp_jv_num(&est, "voltage_model.fitted_points", 0), 3);
  assert_true(pp_jv_num(&est, "voltage_model.vth", 0) == vth && pp_jv_num(&est, "voltage_model.alpha", 0) == alpha);
  pp_jv_free(&est);
  char *html = slurp("out/report.html");
  assert_non_null(strstr(html, "fitted to the MAC under the library at 3 supplies"));
  assert_non_null(strstr(html, "lib07.lib at 0.7 V: critical path")); /* the inputs name every library */
  assert_non_null(strstr(html, "lib06.lib at 0.6 V: critical path"));
  assert_non_null(strstr(html, "pp_cells.lib at 0.8 V: critical path"));
  if (pp_plot_available()) assert_non_null(strstr(html, "voltage_fit.svg"));
  free(html);
  char *rj = slurp("out/run.json"); /* the run file names the libraries, as a list */
  assert_non_null(strstr(rj, "\"lib-at\": ["));
  free(rj);
  /* without it: the default law again, no stale fit beside the report */
  assert_int_equal(run(NULL, NULL), 0);
  assert_int_not_equal(access(pp_test_path(out_dir, "voltage_fit.json"), F_OK), 0);
  assert_int_equal(pp_jv_load(pp_test_path(out_dir, "estimate.json"), &est, &e), PP_OK);
  assert_int_equal((int)pp_jv_num(&est, "voltage_model.fitted_points", -1), 0);
  pp_jv_free(&est);
  /* a library faster at the lower supply: stopped before any training, naming it */
  assert_int_not_equal(run4("--lib-at", bad, "--epochs", "50"), 0);
  char *log = slurp("stderr.txt");
  assert_non_null(strstr(log, "libbad.lib"));
  assert_non_null(strstr(log, "grow as the supply drops"));
  assert_null(strstr(log, "stage 01-train"));
  free(log);
}

/* The recorded time of stage `name` in out/summary.json, which must say
 * whether it ran in this run as `ran`. */
static double stage_seconds(const char *name, int ran) {
  pp_jv v;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_load(pp_test_path(out_dir, "summary.json"), &v, &e), PP_OK);
  const pp_jv *a = pp_jv_get(&v, "stage_seconds");
  assert_true(a && a->type == PP_JV_ARR && a->n >= 8);
  double t = -1;
  for (size_t i = 0; i < a->n; i++)
    if (!strcmp(pp_jv_str(&a->items[i], "stage", ""), name)) {
      t = pp_jv_num(&a->items[i], "seconds", -1);
      const pp_jv *r = pp_jv_get(&a->items[i], "ran");
      assert_true(r && r->type == PP_JV_BOOL && (int)r->num == ran);
    }
  pp_jv_free(&v);
  return t;
}

static void test_quick_run_and_resume(void **st) {
  (void)st;
  int rc = run("--json", NULL);
  if (rc) {
    char *log = slurp("stderr.txt");
    fail_msg("powerprune run exited %d:\n%s", rc, log);
  }
  {
    /* P[w] from joint samples of the trace's streams by default (the estimate closest to gate level) */
    char *log0 = slurp("stderr.txt");
    assert_non_null(strstr(log0, "transitions per weight value (joint samples of the trace's streams)"));
    free(log0);
  }
  check_run_json();
  check_clock_is_sta();
  check_report();
  char *table1 = slurp("out/table.csv");
  char *log = slurp("stderr.txt");
  assert_int_equal(count(log, "done already"), 0);
  free(log);
  /* the trained float model and the delay table went to the cache for other folders */
  assert_true(count_files("cache/float-*.ppnn") >= 1 && count_files("cache/delay-*.ppdelay") >= 1);

  /* every stage's time is in the summary and the run's last lines; a rerun keeps the recorded times */
  double t_train = stage_seconds("01-train", 1);
  assert_true(t_train > 0);

  /* a rerun does nothing again and says so */
  assert_int_equal(run(NULL, NULL), 0);
  log = slurp("stderr.txt");
  assert_true(count(log, "done already") >= 8);
  assert_int_equal(count(log, ": done in"), 0);
  assert_non_null(strstr(log, "(cached)"));
  assert_non_null(strstr(log, "; 0.0 s in stages run now"));
  free(log);
  assert_true(stage_seconds("01-train", 0) == t_train);
  char *table2 = slurp("out/table.csv");
  assert_string_equal(table1, table2);
  free(table2);
  /* the run file the run wrote is that run: started from it, every stage is done already */
  char *rj = slurp("out/run.json");
  assert_non_null(strstr(rj, "\"format\": \"powerprune-run/1\""));
  free(rj);
  assert_int_equal(pp_test_cli(dir, NULL, "run", "--config", pp_test_path(dir, "out/run.json"), NULL), 0);
  log = slurp("stderr.txt");
  assert_true(count(log, "done already") >= 8);
  assert_int_equal(count(log, ": done in"), 0);
  free(log);

  /* interrupted: the late stages are gone; the early ones are skipped, the result is the same */
  remove_file("out/stages/20-trace-final.json");
  remove_file("out/summary.json");
  remove_file("out/table.csv");
  assert_int_equal(run(NULL, NULL), 0);
  log = slurp("stderr.txt");
  assert_non_null(strstr(log, "stage 01-train: done already"));
  assert_non_null(strstr(log, "stage 07-timing: done already"));
  assert_non_null(strstr(log, "stage 20-trace-final: done in"));
  free(log);
  check_report();
  table2 = slurp("out/table.csv");
  assert_string_equal(table1, table2);
  free(table2);

  /* a finished stage's file is damaged (issue 15: truncate -s 1000000): the
   * rerun redoes that stage, not the others, and the result is the same */
  assert_int_equal(truncate(pp_test_path(dir, "out/trace_int8.ppstats"), 1000000), 0);
  assert_int_equal(run(NULL, NULL), 0);
  log = slurp("stderr.txt");
  assert_non_null(strstr(log, "trace_int8.ppstats changed since the stage made it"));
  assert_non_null(strstr(log, "stage 04-trace-int8: done in"));
  assert_non_null(strstr(log, "stage 01-train: done already"));
  free(log);
  table2 = slurp("out/table.csv");
  assert_string_equal(table1, table2);
  free(table2);

  /* one writer per folder: while another process holds the folder, a run
   * into it stops at once naming the lock and the holder */
  {
    pp_flow_ledger held = {0};
    pp_err le;
    pp_err_clear(&le);
    assert_int_equal(pp_flow_ledger_open(&held, out_dir, &le), PP_OK);
    assert_int_not_equal(run(NULL, NULL), 0);
    pp_flow_ledger_close(&held);
    log = slurp("stderr.txt");
    char want[64];
    snprintf(want, sizeof want, "process %ld holds this lock", (long)getpid());
    assert_non_null(strstr(log, ".powerprune.lock"));
    assert_non_null(strstr(log, want));
    assert_null(strstr(log, "done already")); /* nothing ran */
    free(log);
    assert_int_equal(access(pp_test_path(dir, "out/summary.json"), F_OK), 0); /* the holder's report is untouched */
  }

  /* a rerun that fails leaves no earlier report looking current: the
   * timing stage's file is replaced by a folder it cannot be renamed onto */
  remove_file("out/delay.ppdelay");
  {
    pp_err me;
    pp_err_clear(&me);
    assert_int_equal(pp_mkdirs(pp_test_path(dir, "out/delay.ppdelay/x"), &me), PP_OK);
  }
  assert_int_not_equal(run(NULL, NULL), 0);
  assert_int_not_equal(access(pp_test_path(dir, "out/summary.json"), F_OK), 0);
  assert_int_not_equal(access(pp_test_path(dir, "out/report.html"), F_OK), 0);
  assert_int_not_equal(access(pp_test_path(dir, "out/table.csv"), F_OK), 0);
  assert_int_equal(pp_test_rmtree(pp_test_path(dir, "out/delay.ppdelay")), 0);
  assert_int_equal(run(NULL, NULL), 0);
  table2 = slurp("out/table.csv");
  assert_string_equal(table1, table2);
  free(table2);

  /* the bit-flip models went to the cache too */
  assert_true(count_files("cache/pann-power-*.json") >= 1);

  /* --no-pann: the report has no comparison; `powerprune report` on it works */
  assert_int_equal(run("--no-pann", NULL), 0);
  log = slurp("stderr.txt");
  assert_non_null(strstr(log, "stage 21-pann: not run (--no-pann)"));
  free(log);
  char p[512];
  snprintf(p, sizeof p, "%s/out/summary.json", dir);
  pp_report rep;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_report_load(p, &rep, &e), PP_OK);
  assert_false(rep.pann.present);
  char *html = slurp("out/report.html");
  assert_null(strstr(html, "PowerPruning beside PANN"));
  free(html);
  snprintf(p, sizeof p, "%s/out/pann_compare.csv", dir);
  assert_int_not_equal(access(p, F_OK), 0); /* no stale table beside a report without it */
  /* and back: the stage is done already, the section returns */
  assert_int_equal(run(NULL, NULL), 0);
  log = slurp("stderr.txt");
  assert_non_null(strstr(log, "stage 21-pann: done already"));
  free(log);
  check_pann();
  /* `powerprune report DIR` re-renders the comparison's table and plot */
  remove_file("out/pann_compare.csv");
  remove_file("out/pann_accuracy_power.svg");
  assert_int_equal(pp_test_cli(dir, NULL, "report", out_dir, (const char *)NULL), 0);
  check_pann();
  /* report --json: one JSON document on stdout, the same Table I row as run --json */
  assert_int_equal(pp_test_cli(dir, NULL, "report", "--json", out_dir, (const char *)NULL), 0);
  check_run_json();

  /* a changed option redoes what depends on it only */
  assert_int_equal(run("--power-tolerance", "0.25"), 0);
  log = slurp("stderr.txt");
  assert_non_null(strstr(log, "stage 03-prune: done already"));
  /* PANN's sweep of the float model does not depend on the tolerances */
  assert_non_null(strstr(log, "stage 01-pann: done already"));
  free(log);
  /* training differs bit by bit between thread counts, so the count is part of the key */
  {
    pp_jv st01;
    pp_err e1;
    pp_err_clear(&e1);
    assert_int_equal(pp_jv_load(pp_test_path(out_dir, "stages/01-train.json"), &st01, &e1), PP_OK);
    assert_string_equal(pp_jv_str(&st01, "options.threads", ""), getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "2");
    pp_jv_free(&st01);
  }
  check_report();
  free(table1);
  check_pann_qat();
  check_lib_at();
}

/* With the array multiplier every negative weight reaches the longest path, so the first delay bounds keep only
 * w >= 0 and the network falls to chance. With one candidate per bound, the flow must see that before paying for
 * a retrain: the bound is infeasible, and no delay stage runs. */
static void test_proxy_floor(void **st) {
  (void)st;
  assert_int_equal(run4("--mult", "array", "--candidates", "1"), 0);
  char *log = slurp("stderr.txt");
  assert_non_null(strstr(log, "(under the floor)"));
  assert_non_null(strstr(log, "no candidate reaches the proxy floor"));
  assert_null(strstr(log, "stage 10-delay-00"));
  free(log);
}

static void test_bad_options(void **st) {
  (void)st;
  const char *x = pp_test_path(dir, "x");
  assert_int_equal(pp_test_cli(dir, NULL, "run", "--model", "vgg", "--out", x, (const char *)NULL), 2);
  assert_int_equal(pp_test_cli(dir, NULL, "run", "--sparsity", "1.5", "--out", x, (const char *)NULL), 2);
  assert_int_equal(pp_test_cli(dir, NULL, "run", "--help", (const char *)NULL), 0);
  /* powerprune report on a folder without a summary: one clear error */
  assert_int_equal(pp_test_cli(dir, NULL, "report", pp_test_path(dir, "nothing"), (const char *)NULL), 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_quick_run_and_resume),
      cmocka_unit_test(test_proxy_floor),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
