/* plot: figures for papers, drawn by gnuplot (Debian gnuplot-nox), never by hand.
 * Every function writes the data and a gnuplot script to a private temporary
 * directory, runs gnuplot on the script, and produces, next to each other:
 * "<base>.svg" (terminal svg), "<base>.png" (pngcairo at print resolution:
 * three times the SVG's pixel size, i.e. 300 dpi at 8 inches wide; png when
 * cairo is missing), "<base>.pdf" (pdfcairo, vector; only where gnuplot has
 * it) and "<base>.csv", exactly the numbers plotted (see each function). All
 * appear atomically: temporary names renamed into place only when gnuplot
 * exits with status 0. Axes are ranged to the data (and the reference
 * lines) with a small margin, so no point sits on or beyond the frame; the
 * legend is placed above the plot, outside the data. When gnuplot is missing
 * or fails, the functions return PP_EIO with gnuplot's first error line in
 * the message; nothing is printed.
 *
 * CSV: header "series,x,y", one row per plotted point (series = its legend
 * label, "data" when it has none), then one row per reference line with
 * series "line: LABEL" and the coordinate it does not fix empty. Histograms:
 * "series,bin_lo,bin_hi,count", one row per non-empty bin (the boxes drawn).
 * Heat maps: "x,y,value", one row per cell. */
#ifndef PP_PLOT_H
#define PP_PLOT_H

#include <stddef.h>

#include "pp/util.h"

/* Common look of a figure. Zero-initialise and fill what you need. */
typedef struct pp_plot_opts {
  const char *title;  /* NULL: none */
  const char *xlabel; /* axis titles, NULL: none */
  const char *ylabel;
  const char *cblabel; /* heat maps: colour bar title */
  int logx, logy;      /* logarithmic axes (non-positive values are dropped by gnuplot) */
  int logc;            /* heat maps: logarithmic colour scale; zero cells drawn as background */
  int width, height;   /* pixels of the SVG; 0: 800 x 560 */
  int key_left, key_below; /* ignored: the legend is always above the plot, outside it */
  /* Reference lines (thresholds), drawn dashed and labelled; the axis ranges include them. */
  struct pp_plot_ref {
    char axis; /* 'x': vertical line at x = v; 'y': horizontal line at y = v */
    double v;
    const char *label;
  } ref[4];
  int nref;
} pp_plot_opts;

/* PP_PLOT_OPEN_POINTS: open circles, e.g. rejected steps beside the accepted
 * ones; PP_PLOT_BOXES: filled bars of width 0.8 (x units) centred on x. */
enum { PP_PLOT_LINES = 0, PP_PLOT_POINTS = 1, PP_PLOT_LINESPOINTS = 2, PP_PLOT_OPEN_POINTS = 3, PP_PLOT_BOXES = 4 };

/* One series of an x-y plot: n points (x[i], y[i]). */
typedef struct pp_plot_series {
  const char *label; /* legend entry, NULL: none */
  const double *x;
  const double *y;
  size_t n;
  int style; /* PP_PLOT_LINES / POINTS / LINESPOINTS / OPEN_POINTS / BOXES */
  const char *color; /* "#rrggbb"; NULL: gnuplot's sequence */
} pp_plot_series;

/* 1 when a working gnuplot is on PATH (cached after the first call). */
int pp_plot_available(void);

/* Line/scatter plot of ns >= 1 series, each with n >= 1 finite points. */
int pp_plot_xy(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, pp_err *e);

/* Bars over the integers x0, x0+1, ..., x0+n-1, e.g. power per weight value
 * -127..127 (x0 = -127, n = 255). On a log y axis bars <= 0 cannot be drawn:
 * they are left out (of the figure and its CSV). */
int pp_plot_bars(const char *base, const pp_plot_opts *o, int x0, const double *y, size_t n, pp_err *e);
/* The same with the bars where mark[i] != 0 highlighted (a series labelled
 * mark_label, the others grey, labelled rest_label), and nextra further
 * series drawn over them (e.g. points). mark NULL: one unlabelled series. */
int pp_plot_bars_marked(const char *base, const pp_plot_opts *o, int x0, const double *y, const unsigned char *mark,
                        size_t n, const char *mark_label, const char *rest_label, const pp_plot_series *extra,
                        size_t nextra, pp_err *e);

/* Histograms of raw values: series[i].y holds series[i].n samples (x unused).
 * All series share nbins equal-width bins over their common [min, max]
 * (nbins 0: one bin per integer, for integer data such as delays in ps); each
 * is drawn as translucent boxes, every non-empty bin (a log y axis drops no
 * bin: its range starts below 1). */
int pp_plot_hist(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, int nbins,
                 pp_err *e);

/* Heat map of a rows x cols row-major matrix m: cell (r, c) is drawn at
 * x = x0 + c*dx, y = y0 + r*dy. With o->logc the colour scale is logarithmic and
 * cells <= 0 are left blank. Example: the 256 x 256 activation transition
 * histogram with x = previous value, y = next value. */
int pp_plot_heatmap(const char *base, const pp_plot_opts *o, const double *m, size_t rows, size_t cols,
                    double x0, double dx, double y0, double dy, pp_err *e);

/* Accuracy versus power: series[i] gives (power[i], accuracy[i]) points of one
 * method, drawn as labelled lines with points (x = power, y = accuracy). The
 * axis titles default to "power" and "accuracy" when o leaves them NULL. */
int pp_plot_accuracy_power(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns,
                           pp_err *e);

#endif
