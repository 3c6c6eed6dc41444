/* plot: figures for papers, drawn by gnuplot (Debian gnuplot-nox), never by hand.
 * Every function writes the data and a gnuplot script to a private temporary
 * directory, runs gnuplot on the script, and produces two files next to each
 * other: "<base>.svg" (terminal svg) and "<base>.png" (terminal pngcairo, or png
 * when the cairo terminal is missing). Both appear atomically: gnuplot writes
 * temporary names which are renamed into place only when it exits with status 0.
 * When gnuplot is missing or fails, the functions return PP_EIO with gnuplot's
 * first error line in the message; nothing is printed. */
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
  int width, height;   /* pixels; 0: 800 x 560 */
  int key_left;        /* legend at the top left instead of the top right */
  int key_below;       /* legend below the plot, outside it (no data hidden) */
} pp_plot_opts;

enum { PP_PLOT_LINES = 0, PP_PLOT_POINTS = 1, PP_PLOT_LINESPOINTS = 2 };

/* One series of an x-y plot: n points (x[i], y[i]). */
typedef struct pp_plot_series {
  const char *label; /* legend entry, NULL: none */
  const double *x;
  const double *y;
  size_t n;
  int style; /* PP_PLOT_LINES / POINTS / LINESPOINTS */
} pp_plot_series;

/* 1 when a working gnuplot is on PATH (cached after the first call). */
int pp_plot_available(void);

/* Line/scatter plot of ns >= 1 series, each with n >= 1 finite points. */
int pp_plot_xy(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, pp_err *e);

/* Bars (impulses) over the integers x0, x0+1, ..., x0+n-1, e.g. power per weight
 * value -127..127 (x0 = -127, n = 255). */
int pp_plot_bars(const char *base, const pp_plot_opts *o, int x0, const double *y, size_t n, pp_err *e);

/* Histograms of raw values: series[i].y holds series[i].n samples (x unused).
 * All series share nbins equal-width bins over their common [min, max]; each is
 * drawn as a step outline with its label. */
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
