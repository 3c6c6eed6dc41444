/* Tests of plot: every kind of figure produces a real SVG and PNG through
 * gnuplot, bad input is one clear error, and nothing is left behind on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp/plot.h"
#include "figcheck.h"
#include "pp_hostile.h"

static char g_dir[256];

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", g_dir, name); }

/* Both files exist; the SVG is XML with an <svg> element; the PNG has the magic bytes. */
static void assert_outputs(const char *base) {
  char p[600];
  snprintf(p, sizeof p, "%s.svg", base);
  char *data = NULL;
  size_t len = 0;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_read_file(p, &data, &len, &e), PP_OK);
  assert_true(len > 200);
  assert_true(strncmp(data, "<?xml", 5) == 0 || strstr(data, "<svg") != NULL);
  assert_non_null(strstr(data, "<svg"));
  assert_non_null(strstr(data, "</svg>"));
  free(data);
  snprintf(p, sizeof p, "%s.png", base);
  assert_int_equal(pp_read_file(p, &data, &len, &e), PP_OK);
  assert_true(len > 100);
  static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  assert_memory_equal(data, magic, 8);
  /* print resolution: 3 x the SVG's 800 x 560 (or the size asked) */
  assert_true(((unsigned)(unsigned char)data[16] << 24 | (unsigned)(unsigned char)data[17] << 16 |
               (unsigned)(unsigned char)data[18] << 8 | (unsigned)(unsigned char)data[19]) >= 1800);
  free(data);
  /* the vector PDF beside it (gnuplot-nox has pdfcairo) */
  snprintf(p, sizeof p, "%s.pdf", base);
  assert_int_equal(pp_read_file(p, &data, &len, &e), PP_OK);
  assert_memory_equal(data, "%PDF", 4);
  free(data);
  /* and the data: every series drawn with all its points */
  char why[512] = "";
  if (figcheck(base, why, sizeof why)) fail_msg("%s", why);
  /* no temporary leftovers next to the results */
  snprintf(p, sizeof p, "%s.svg.tmp.%ld", base, (long)getpid());
  assert_int_not_equal(access(p, F_OK), 0);
}

static int setup(void **st) {
  (void)st;
  snprintf(g_dir, sizeof g_dir, "%s/test_plot_out", PP_BINARY_DIR);
  pp_err e;
  pp_err_clear(&e);
  return pp_mkdirs(g_dir, &e);
}

#define NEED_GNUPLOT()                                   \
  do {                                                   \
    if (!pp_plot_available()) {                          \
      fprintf(stderr, "gnuplot not installed: skip\n");  \
      skip();                                            \
    }                                                    \
  } while (0)

static void test_xy_two_series_log(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double x[50], y1[50], y2[50];
  for (int i = 0; i < 50; i++) {
    x[i] = i + 1;
    y1[i] = x[i] * x[i];
    y2[i] = exp(i * 0.1);
  }
  pp_plot_series s[2] = {{"square 'quoted'", x, y1, 50, PP_PLOT_LINES, NULL}, {"exp_growth", x, y2, 50, PP_PLOT_POINTS, NULL}};
  pp_plot_opts o = {.title = "two series", .xlabel = "x", .ylabel = "y (log)", .logy = 1};
  char base[512];
  path_of(base, sizeof base, "xy");
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_plot_xy(base, &o, s, 2, &e);
  if (rc) fprintf(stderr, "%s\n", e.msg);
  assert_int_equal(rc, PP_OK);
  assert_outputs(base);
  /* the labels reach the figure (noenhanced: underscores stay literal) */
  char p[600], *svg;
  snprintf(p, sizeof p, "%s.svg", base);
  assert_int_equal(pp_read_file(p, &svg, NULL, &e), PP_OK);
  assert_non_null(strstr(svg, "exp_growth"));
  assert_non_null(strstr(svg, "square 'quoted'"));
  free(svg);
}

/* Output names and labels full of shell/gnuplot syntax are plain names:
 * the figures appear under exactly those names and nothing runs; a line
 * break, which a gnuplot string cannot hold, is one clear error. */
static void test_hostile_names(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double x[3] = {1, 2, 3}, y[3] = {3, 1, 2};
  for (size_t i = 0; i < PP_N_HOSTILE; i++) {
    pp_plot_series s = {pp_hostile_names[i], x, y, 3, PP_PLOT_LINES, NULL};
    pp_plot_opts o = {.title = pp_hostile_names[i], .xlabel = pp_hostile_names[i]};
    char base[512];
    path_of(base, sizeof base, pp_hostile_names[i]);
    pp_err e;
    pp_err_clear(&e);
    int rc = pp_plot_xy(base, &o, &s, 1, &e);
    if (strchr(pp_hostile_names[i], '\n')) {
      assert_int_equal(rc, PP_EINVAL);
      assert_non_null(strstr(e.msg, "line break"));
      continue;
    }
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, PP_OK);
    assert_outputs(base);
  }
  char pw[600];
  path_of(pw, sizeof pw, "pwned");
  assert_int_not_equal(access(pw, F_OK), 0);
  assert_int_not_equal(access("pwned", F_OK), 0);
}

static void test_bars_weights(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double p[255];
  for (int w = -127; w <= 127; w++) p[w + 127] = 500 + 4.0 * abs(w) + (w % 7);
  char base[512];
  path_of(base, sizeof base, "bars");
  pp_plot_opts o = {.xlabel = "weight value", .ylabel = "power [uW]"};
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_bars(base, &o, -127, p, 255, &e), PP_OK);
  assert_outputs(base);
}

static void test_hist(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double a[1000], b[500];
  pp_rng r;
  pp_rng_seed(&r, 7);
  for (int i = 0; i < 1000; i++) a[i] = pp_rng_normal(&r) * 10 + 100;
  for (int i = 0; i < 500; i++) b[i] = pp_rng_normal(&r) * 5 + 120;
  pp_plot_series s[2] = {{"w=-105", NULL, a, 1000, 0, NULL}, {"w=64", NULL, b, 500, 0, NULL}};
  char base[512];
  path_of(base, sizeof base, "hist");
  pp_plot_opts o = {.xlabel = "delay [ps]"};
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_hist(base, &o, s, 2, 40, &e), PP_OK);
  assert_outputs(base);
}

/* Fig. 1/2 of a run: highlighted bars, a threshold line, points over the bars. */
static void test_bars_marked(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double p[255];
  unsigned char mark[255];
  for (int w = -127; w <= 127; w++) p[w + 127] = 500 + 4.0 * abs(w) + (w % 7), mark[w + 127] = abs(w) < 20;
  double px[3] = {-3, 0, 5}, py[3] = {480, 470, 490};
  pp_plot_series extra = {"over the selection", px, py, 3, PP_PLOT_POINTS, "#000000"};
  pp_plot_opts o = {.xlabel = "weight value", .ylabel = "power [µW]", .nref = 1};
  o.ref[0] = (struct pp_plot_ref){'y', 600, "threshold 600 µW"};
  char base[512];
  path_of(base, sizeof base, "bars_marked");
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_bars_marked(base, &o, -127, p, mark, 255, "selected", "not selected", &extra, 1, &e), PP_OK);
  assert_outputs(base);
  char cp[600], *csv;
  snprintf(cp, sizeof cp, "%s.csv", base);
  assert_int_equal(pp_read_file(cp, &csv, NULL, &e), PP_OK);
  int rows = 0;
  for (char *q = csv; *q; q++) rows += *q == '\n';
  assert_int_equal(rows, 1 + 1 + 255 + 3); /* header, the line, every bar, the points */
  assert_non_null(strstr(csv, "line: threshold 600 µW,,600\n"));
  assert_non_null(strstr(csv, "selected,-19,"));
  free(csv);
  /* the axis is ranged to the data, not from 0: a point below the bars stays visible */
  snprintf(cp, sizeof cp, "%s.svg", base);
  char *svg;
  assert_int_equal(pp_read_file(cp, &svg, NULL, &e), PP_OK);
  assert_non_null(strstr(svg, "threshold 600 µW"));
  free(svg);
}

/* A histogram whose bins have empty neighbours, on a log axis (the delay
 * profile of w = 64): every bin is drawn, and the check catches a point that
 * the data has but the figure does not. */
static void test_hist_unit_bins_log(void **st) {
  (void)st;
  NEED_GNUPLOT();
  static double v[65536];
  for (int i = 0; i < 65536; i++) v[i] = i < 32768 ? 237 : i < 49152 ? 247 : 248;
  v[0] = 285; /* a single transition: a bin of count 1 must show on the log axis */
  pp_plot_series s = {"w = 64", NULL, v, 65536, 0, NULL};
  pp_plot_opts o = {.xlabel = "MAC delay [ps]", .logy = 1};
  char base[512];
  path_of(base, sizeof base, "hist_unit");
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_hist(base, &o, &s, 1, 0, &e), PP_OK);
  assert_outputs(base);
  char cp[600], *csv;
  snprintf(cp, sizeof cp, "%s.csv", base);
  assert_int_equal(pp_read_file(cp, &csv, NULL, &e), PP_OK);
  assert_string_equal(csv, "series,bin_lo,bin_hi,count\nw = 64,236.5,237.5,32767\nw = 64,246.5,247.5,16384\n"
                           "w = 64,247.5,248.5,16384\nw = 64,284.5,285.5,1\n");
  /* one more row in the data than the figure shows: the check fails */
  FILE *f = fopen(cp, "a");
  assert_non_null(f);
  fputs("w = 64,300.5,301.5,5\n", f);
  fclose(f);
  char why[512] = "";
  assert_int_equal(figcheck(base, why, sizeof why), 1);
  assert_non_null(strstr(why, "shows 4 of its 5 points"));
  free(csv);
}

static void test_heatmap_log(void **st) {
  (void)st;
  NEED_GNUPLOT();
  const int n = 256;
  double *m = calloc((size_t)n * n, sizeof *m);
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++) m[r * n + c] = abs(r - c) < 20 ? 1000.0 / (1 + abs(r - c)) : (r % 17 == 0 ? 1 : 0);
  char base[512];
  path_of(base, sizeof base, "heat");
  pp_plot_opts o = {.xlabel = "previous", .ylabel = "next", .cblabel = "count", .logc = 1, .width = 640, .height = 600};
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_plot_heatmap(base, &o, m, n, n, 0, 1, 0, 1, &e);
  if (rc) fprintf(stderr, "%s\n", e.msg);
  assert_int_equal(rc, PP_OK);
  assert_outputs(base);
  /* all-zero matrix with log colours still plots (linear fallback) */
  memset(m, 0, (size_t)n * n * sizeof *m);
  path_of(base, sizeof base, "heat0");
  assert_int_equal(pp_plot_heatmap(base, &o, m, 4, 4, 0, 1, 0, 1, &e), PP_OK);
  assert_outputs(base);
  free(m);
}

static void test_accuracy_power(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double p1[] = {10, 8, 6, 5}, a1[] = {0.91, 0.905, 0.89, 0.85};
  double p2[] = {10, 7, 5}, a2[] = {0.91, 0.88, 0.80};
  pp_plot_series s[2] = {{"PowerPruning", p1, a1, 4, 0, NULL}, {"PANN", p2, a2, 3, 0, NULL}};
  char base[512];
  path_of(base, sizeof base, "accpow");
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_accuracy_power(base, NULL, s, 2, &e), PP_OK);
  assert_outputs(base);
}

static void test_bad_input(void **st) {
  (void)st;
  /* validated before gnuplot is needed, so these run everywhere */
  char base[512];
  path_of(base, sizeof base, "bad");
  pp_err e;
  double x[1] = {1}, y[1] = {NAN};
  pp_plot_series s = {"s", x, x, 0, 0, NULL};
  pp_err_clear(&e);
  assert_int_equal(pp_plot_xy(base, NULL, &s, 1, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "empty"));
  pp_err_clear(&e);
  assert_int_equal(pp_plot_xy(base, NULL, &s, 0, &e), PP_EINVAL);
  pp_err_clear(&e);
  assert_int_equal(pp_plot_bars(base, NULL, 0, x, 0, &e), PP_EINVAL);
  pp_err_clear(&e);
  assert_int_equal(pp_plot_heatmap(base, NULL, x, 0, 1, 0, 1, 0, 1, &e), PP_EINVAL);
  pp_err_clear(&e);
  assert_int_equal(pp_plot_heatmap(base, NULL, x, 1, 1, 0, 0, 0, 1, &e), PP_EINVAL);
  s.n = 1;
  s.y = y;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_xy(base, NULL, &s, 1, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "finite"));
  s.y = x;
  pp_err_clear(&e);
  assert_int_equal(pp_plot_hist(base, NULL, &s, 1, -1, &e), PP_EINVAL);
  char p[600];
  snprintf(p, sizeof p, "%s.svg", base);
  assert_int_not_equal(access(p, F_OK), 0);
}

static void test_unwritable_output(void **st) {
  (void)st;
  NEED_GNUPLOT();
  double x[2] = {1, 2};
  pp_plot_series s = {"s", x, x, 2, 0, NULL};
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_plot_xy("/nonexistent-dir/xy", NULL, &s, 1, &e);
  assert_int_equal(rc, PP_EIO);
  assert_non_null(strstr(e.msg, "gnuplot"));
  assert_int_not_equal(access("/nonexistent-dir/xy.svg", F_OK), 0);
}

static void test_missing_gnuplot(void **st) {
  (void)st;
  /* An empty PATH hides gnuplot: one clear error, no output. */
  const char *old = getenv("PATH");
  char *saved = old ? strdup(old) : NULL;
  setenv("PATH", "/nonexistent-bin", 1);
  double x[2] = {1, 2};
  pp_plot_series s = {"s", x, x, 2, 0, NULL};
  char base[512];
  path_of(base, sizeof base, "nognuplot");
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_plot_xy(base, NULL, &s, 1, &e);
  if (saved) {
    setenv("PATH", saved, 1);
    free(saved);
  }
  assert_int_equal(rc, PP_EIO);
  assert_non_null(strstr(e.msg, "not installed"));
  char p[600];
  snprintf(p, sizeof p, "%s.svg", base);
  assert_int_not_equal(access(p, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_missing_gnuplot),
      cmocka_unit_test(test_xy_two_series_log), cmocka_unit_test(test_bars_weights),
      cmocka_unit_test(test_hostile_names),
      cmocka_unit_test(test_hist),            cmocka_unit_test(test_heatmap_log),
      cmocka_unit_test(test_accuracy_power),  cmocka_unit_test(test_unwritable_output),
      cmocka_unit_test(test_bars_marked),     cmocka_unit_test(test_hist_unit_bins_log),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
