/* select: which weight and activation values a network may use (paper III-A3
 * and III-B).
 *
 * Power: keep the weights whose total power P[w] is below a threshold (or the
 * N cheapest); weight 0 is always kept (pruned weights are zero, and zero is
 * the cheapest MAC in every table we have seen).
 *
 * Delay: given D[w][a][a'] restricted to the kept weights and the allowed
 * activations, visit the violating combinations (D > threshold) from the
 * largest delay down; a combination whose weight, from-activation and
 * to-activation are all still present loses one of them, chosen uniformly at
 * random among its removable members. Weight 0 and activation 0 are never
 * removed: 0 is what pruning and ReLU produce, a network cannot avoid them.
 * (Their combination (0, 0->0) only sees the partial-sum path, so a threshold
 * below it is infeasible and reported as an error.) The whole removal is run
 * R times (run r uses the seed stream (seed, r)) and the best run is kept.
 *
 * Objective ("best"), larger is better:
 *   J = (sum_{w in W} u[w] / sum_{w in W0} u[w]) * (sum_{a in A} m[a] / sum_{a in A0} m[a])
 * with W0, A0 the sets before delay selection, u[w] = usage[w] + 1 (MAC
 * operations of weight value w in the trace; +1 so that unused values still
 * count and that without a trace J counts values), and m[a] = mass[a] + 1
 * (how often activation value a enters a PE). Ties: more values kept
 * (|W| + |A|), then the earlier run. So run 0 alone is what R = 1 returns and
 * best-of-R is never worse than R = 1. */
#ifndef PP_SELECT_H
#define PP_SELECT_H

#include <stdint.h>

#include "pp/characterize.h"

/* Allowed sets as masks: w_keep[w - w_min], a_keep[a]. */
typedef struct pp_select_sets {
  int w_min, n_w, n_a;
  uint8_t w_keep[PP_CHAR_MAX_W];
  uint8_t a_keep[PP_CHAR_MAX_A];
} pp_select_sets;

/* All values allowed. */
void pp_select_sets_all(pp_select_sets *s, int w_min, int n_w, int n_a);
int pp_select_count_w(const pp_select_sets *s);
int pp_select_count_a(const pp_select_sets *s);

/* Power threshold: keep w with pp_char_power_total(p, w) < threshold_uw, and 0. */
void pp_select_power_threshold(const pp_char_power *p, double threshold_uw, pp_select_sets *s);
/* Keep the n cheapest weight values (0 always among them; ties by smaller |w|,
 * then negative first). n is clamped to 1..n_w. */
void pp_select_power_keep(const pp_char_power *p, int n, pp_select_sets *s);

/* Largest D over the allowed (w, a -> a') combinations. */
unsigned pp_select_max_delay(const pp_char_delay *d, const pp_select_sets *s);

/* The objective J above; usage (n_w entries) and mass (n_a entries) may be NULL
 * (all zero). */
double pp_select_objective(const pp_select_sets *before, const pp_select_sets *after, const double *usage,
                           const double *mass);

typedef struct pp_select_opts {
  unsigned delay_ps; /* threshold: every kept combination must have D <= delay_ps */
  int repeats;       /* R >= 1, 20 by default */
  uint64_t seed;
} pp_select_opts;
void pp_select_opts_default(pp_select_opts *o);

typedef struct pp_select_result {
  pp_select_sets sets;
  unsigned max_delay_ps; /* of the result */
  double objective;
  int best_run;          /* 0-based */
  int runs;
} pp_select_result;

/* Delay selection starting from `in` (typically the power selection). Errors:
 * PP_EINVAL when the sizes differ from the table or the threshold is below the
 * unremovable (0, 0->0) delay. */
int pp_select_delay(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                    const pp_select_opts *o, pp_select_result *out, pp_err *e);

/* The allowed-values files `powerprune train --weights-allowed/--acts-allowed`
 * read: one integer per line, '#' comment lines and blank lines allowed.
 * comment (may be NULL) is written as '#' lines first. */
int pp_select_write_values(const char *path, const int *values, int n, const char *comment, pp_err *e);
int pp_select_write_sets(const pp_select_sets *s, const char *w_path, const char *a_path, const char *comment,
                         pp_err *e);
/* Reads a values file into a mask over lo..hi (mask[v - lo] = 1); values out
 * of range, junk and duplicates are errors with the line number. *count gets
 * the number of values. */
int pp_select_read_values(const char *path, int lo, int hi, uint8_t *mask, int *count, pp_err *e);

#endif
