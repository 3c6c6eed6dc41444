/* select: which weight and activation values a network may use (paper III-A3
 * and III-B).
 *
 * Power: keep the weights whose total power P[w] is below a threshold (or the
 * N cheapest); weight 0 is always kept (pruned weights are zero, and zero is
 * the cheapest MAC in every table we have seen).
 *
 * Delay: given D[w][a][a'] restricted to the kept weights and the allowed
 * activations, remove weight or activation values until no kept combination
 * (w, a -> a') has D > threshold. Weight 0 and activation 0 are never removed:
 * 0 is what pruning and ReLU produce, a network cannot avoid them. (Their
 * combination (0, 0->0) only sees the partial-sum path, so a threshold below
 * it is infeasible and reported as an error.) Three methods:
 *
 *  - PP_SELECT_SEARCH (default): for a fixed weight set W the activations
 *    that may stay are an independent set of a conflict graph (a -- b when
 *    some w in W makes a->b or b->a too slow; a excluded when w makes a->a too
 *    slow; 0 always in). Starting from W = {0}, add the weight of the start
 *    set whose addition keeps the largest J once the activations are chosen
 *    again (0 first, then by m[a] largest first, each taken when it conflicts
 *    with none taken), until no weight fits; return the best point of that
 *    path. Runs r >= 1 multiply the weights' J and the activations' m by
 *    exp(0.1 z) (z seeded standard normals per value and run) for the choice;
 *    ties go to the larger seeded random key.
 *  - PP_SELECT_GREEDY: a weighted set cover. Each value x present has n(x),
 *    the number of violating combinations it is a member of, and a cost
 *    c(x) = -log(1 - u_x / U), what removing it costs log J below (u_x its
 *    weight in J, U the sum over the values of its kind still present).
 *    Repeatedly remove the removable value with the largest n(x) / c(x), i.e.
 *    the most violations cleared per objective lost, so rarely used values go
 *    first; exact ties go to the larger seeded random key. Run 0 is this pure
 *    rule; runs r >= 1 multiply each score by exp(0.5 z).
 *  - PP_SELECT_RANDOM, the paper's rule: visit the violating combinations from
 *    the largest delay down (ties in (w, a, a') order); a combination whose
 *    members are all still present loses one of them, chosen uniformly at
 *    random among its removable members.
 *
 * Add-back (on by default, every method): afterwards, the removed values are
 * offered back in order of their share of J (largest first, ties by the key)
 * and each is re-inserted when it creates no violation with what is kept.
 * It can only raise J, and the result stays within the threshold.
 *
 * Every method runs R times (run r draws from the seed stream (seed, r)) and
 * the best run is kept.
 *
 * Objective ("best"), larger is better:
 *   J = (sum_{w in W} u[w] / sum_{w in W0} u[w]) * (sum_{a in A} m[a] / sum_{a in A0} m[a])
 * with W0, A0 the sets before delay selection without the zeros (always
 * kept, so no part of the choice: counting the ReLU's many zeros would make a
 * network left with activation 0 alone look a third intact), u[w] =
 * usage[w] + 1 (MAC operations of weight value w in the trace, or any
 * saliency the caller chooses; +1 so that unused values still count and that
 * without a trace J counts values), and m[a] = mass[a] + 1 (how often
 * activation value a enters a PE). A factor whose W0 or A0 holds nothing but
 * zero is 1. Ties: more values kept (|W| + |A|), then the earlier run. So run
 * 0 alone is what R = 1 returns and best-of-R is never worse than R = 1. */
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

typedef enum pp_select_method {
  PP_SELECT_GREEDY = 0, /* remove by violations cleared per objective lost */
  PP_SELECT_RANDOM = 1, /* the paper's random member removal */
  PP_SELECT_SEARCH = 2  /* grow the weight set, activations as an independent set (default) */
} pp_select_method;
/* "greedy" / "random" / "search"; parse returns PP_OK or PP_EINVAL. */
const char *pp_select_method_name(pp_select_method m);
int pp_select_method_parse(const char *s, pp_select_method *m);

typedef struct pp_select_opts {
  unsigned delay_ps; /* threshold: every kept combination must have D <= delay_ps */
  int repeats;       /* R >= 1, 20 by default */
  uint64_t seed;
  pp_select_method method; /* PP_SELECT_SEARCH by default */
  int add_back;            /* 1 by default: re-insert removed values that fit */
} pp_select_opts;
void pp_select_opts_default(pp_select_opts *o);

typedef struct pp_select_result {
  pp_select_sets sets;
  unsigned max_delay_ps; /* of the result */
  double objective;
  int best_run;          /* 0-based */
  int runs;
  int added_back;        /* values the add-back pass re-inserted in the best run */
} pp_select_result;

/* Delay selection starting from `in` (typically the power selection). Errors:
 * PP_EINVAL when the sizes differ from the table or the threshold is below the
 * unremovable (0, 0->0) delay. */
int pp_select_delay(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                    const pp_select_opts *o, pp_select_result *out, pp_err *e);
/* The search method's path (run 0, unperturbed): from W = {0} with the most
 * activations that fit to the largest weight set with the fewest, one point
 * per weight added, each after add-back when o->add_back. Up to max points,
 * evenly spaced, both ends included; *n gets their number. These are the
 * weight-heavy to activation-heavy trade-offs a caller may rank by accuracy. */
int pp_select_delay_path(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                         const pp_select_opts *o, pp_select_sets *pts, int max, int *n, pp_err *e);
/* The same selection computed naively (violations recounted from the whole
 * table at every step, the largest violation searched afresh): the reference
 * the tests hold pp_select_delay to. Same result bit for bit; slow (use small
 * tables). */
int pp_select_delay_ref(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
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
