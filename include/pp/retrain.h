/* retrain: the two threshold-lowering loops of PowerPruning (paper, III-C).
 * Phase 1 lowers a power threshold step by step (weights with P[w] above it
 * are forbidden; 0 is always allowed) and retrains while the accuracy holds;
 * phase 2 lowers a delay threshold in fixed steps (10 ps by default), lets a
 * selector remove weight and activation values until every remaining
 * combination is under it, and retrains until the accuracy drops by the
 * tolerance. When a step of either phase fails, the interval between the last
 * accepted setting and the failed one is bisected (weight count or µW
 * threshold; delay threshold in ps, finer than the ladder's step) for at most
 * refine_retrains retrains per phase. The best accepted step is kept. The
 * delay phase may start from several accepted power steps (delay_starts),
 * the kept result then being the one a score callback rates cheapest.
 * Phase 3 spends what the budget has left on sparsity: it prunes the kept
 * network further in steps (the pruned weights go to zero, which every set
 * allows, so the kept sets and their max delay stand) and retrains while the
 * accuracy holds, then bisects.
 *
 * Every accuracy here is the caller's decision accuracy (validation data held
 * out of the training set); this module never sees test data.
 *
 * Training, evaluation and delay selection are callbacks, so this module is
 * independent of how a model is stored and can be tested on anything; the
 * flow binds them to nn and select and caches each step for resuming. */
#ifndef PP_RETRAIN_H
#define PP_RETRAIN_H

#include <stdint.h>

#include "pp/util.h"

#define PP_RETRAIN_NW 255 /* weight levels -127..127, index w + 127 */
#define PP_RETRAIN_NA 256 /* activation levels 0..255 */
#define PP_RETRAIN_MAX_STEPS 160 /* power ladder + bisection, and delay_starts delay ladders */

typedef struct pp_retrain_step {
  int phase;           /* 0: power threshold, 1: delay threshold, 2: sparsity */
  int index;           /* step number within the phase, from 0 */
  char tag[32];        /* "power-03", "delay-01", "sparsity-00": names the trained model */
  double threshold;    /* µW (phase 0), ps (phase 1) or the sparsity (phase 2, a fraction) */
  int n_weights;       /* allowed weight values, zero included */
  int n_acts;          /* allowed activation values */
  double max_delay_ps; /* max MAC delay over the allowed combinations (NaN when unknown) */
  double accuracy;     /* percent, after retraining */
  int accepted;
  int refine;          /* 1: a bisection step between an accepted and a failed setting */
} pp_retrain_step;

typedef struct pp_retrain_ops {
  void *user;
  /* Retrain with weights restricted to W and activations to A (nonzero =
   * allowed), starting from the model of step `from_tag` (NULL: the starting
   * network), and return the decision (validation) accuracy in percent. `tag` names this step's
   * model; a caller that already trained it may return the cached result. */
  int (*train)(void *user, const char *tag, const char *from_tag, const uint8_t *W, const uint8_t *A,
               double *accuracy, pp_err *e);
  /* Choose W_out within W_in and A_out so that every (w, a -> a') combination
   * is under thr_ps; report the resulting max delay. from_tag is the model the
   * step will retrain from (NULL: the starting network), for a selector that
   * ranks candidates on it. NULL: no delay phase. */
  int (*select_delay)(void *user, double thr_ps, const char *from_tag, const uint8_t *W_in, uint8_t *W_out,
                      uint8_t *A_out, double *max_delay_ps, pp_err *e);
  /* Max delay of a set of values (NULL: unknown, NaN). */
  int (*max_delay)(void *user, const uint8_t *W, const uint8_t *A, double *ps, pp_err *e);
  /* Told about every finished step (progress); may be NULL. */
  void (*on_step)(void *user, const pp_retrain_step *s);
  /* Cost of a kept set (lower is better, e.g. the estimated power after
   * voltage scaling), without retraining: chooses among the delay phases run
   * from several power steps (delay_starts). NULL: the lowest max delay, then
   * the fewest weights. */
  int (*score)(void *user, const uint8_t *W, const uint8_t *A, double max_delay_ps, double *cost, pp_err *e);
  /* Like train, but first prunes the model of from_tag to `sparsity` (the
   * fraction of conv/fc weights at zero; those already zero stay zero).
   * NULL: no phase 3. */
  int (*prune)(void *user, const char *tag, const char *from_tag, double sparsity, const uint8_t *W,
               const uint8_t *A, double *accuracy, pp_err *e);
} pp_retrain_ops;

typedef struct pp_retrain_opts {
  double base_accuracy;   /* percent: accuracy of the unrestricted network (tolerances count from it) */
  double start_accuracy;  /* percent: accuracy of the network the loops start from (e.g. after
                           * pruning); what is kept when no step is accepted. NaN: base_accuracy */
  double tolerance;       /* points: delay phase accepts accuracy >= base - tolerance */
  double power_tolerance; /* points: power phase accepts accuracy >= base - power_tolerance */
  const double *power_uw; /* P[w], w = -127..127 */
  /* Schedule of the power thresholds, one of:
   *  - counts: the k-th threshold keeps the power_counts[k] cheapest weight
   *    values (ties kept together), a geometric ladder such as 192, 128, 96,
   *    64, 48, 32, ... removes a similar share at every step;
   *  - steps in µW from power_start_uw down by power_step_uw (the paper's way). */
  const int *power_counts; /* NULL: µW steps */
  int n_power_counts;
  double power_start_uw;  /* first threshold; NaN: the highest P[w] (every weight allowed) */
  double power_step_uw;   /* NaN or <= 0: (max - min of non-zero P) / power_divisions */
  int power_divisions;    /* 0: 16 */
  int power_max_steps;    /* 0: 32 */
  int min_weights;        /* stop the power phase before fewer values remain (0: 3) */
  int min_acts;           /* a delay threshold whose selected set keeps fewer activation values is infeasible
                           * (ends the ladder; 0: 2) */
  double delay_step_ps;   /* 0: 10 */
  int delay_max_steps;    /* 0: 16; negative: no delay phase */
  int refine_retrains;    /* retrains per phase spent bisecting after a failed step (0: none) */
  double delay_min_step_ps; /* finest delay bisection step (0: 1 ps) */
  /* The delay phase runs from the kept power step and then from earlier
   * accepted ladder (not bisection) steps, latest first, delay_starts in all
   * (0 or 1: the kept one only, the paper's way): a power
   * phase that spent the budget on few weights leaves the delay phase nothing
   * to remove, an earlier step may trade weights for delay. The kept result
   * is the accepted step of lowest score over all of them. */
  int delay_starts;
  /* Phase 3 (with ops->prune): from sparsity_start up in sparsity_step steps
   * while the accuracy stays >= base - tolerance, at most sparsity_max_steps
   * ladder steps and up to sparsity_max; a failed step is bisected (finest
   * 0.01) within refine_retrains. The budget the power and delay phases left
   * goes to zero weights, which the array's clock gating turns into power. */
  double sparsity_start;  /* sparsity of the starting network; NaN: no phase 3 */
  double sparsity_step;   /* 0: 0.05 */
  double sparsity_max;    /* 0: 0.95 */
  int sparsity_max_steps; /* 0: 8 */
} pp_retrain_opts;

typedef struct pp_retrain_result {
  uint8_t W[PP_RETRAIN_NW]; /* the kept weights */
  uint8_t A[PP_RETRAIN_NA]; /* the kept activations */
  double accuracy;          /* of the kept step */
  double max_delay_ps;      /* of the kept set */
  double max_delay_full_ps; /* every weight and activation allowed */
  double power_threshold_uw;
  double delay_threshold_ps; /* NaN when no delay step was kept */
  char best_tag[32];         /* the kept step's model ("" : the starting network) */
  /* the loss budget: accuracy at the start, after the power phase, after the
   * delay phase and at the end; spent_power + spent_delay + spent_sparsity ==
   * start - accuracy exactly */
  double start_accuracy, power_accuracy, delay_accuracy;
  double spent_power, spent_delay, spent_sparsity; /* points (negative: the phase gained accuracy) */
  double sparsity;           /* of the kept network after phase 3 (sparsity_start when it kept no step) */
  char delay_from_tag[32];   /* the power step the kept result's delay phase started from ("": none) */
  double score;              /* ops->score of the kept result (NaN without one) */
  int accepted_steps;        /* accepted steps of both phases */
  int refine_used[3];        /* bisection retrains of the power, the delay and the sparsity phase */
  int nsteps;
  pp_retrain_step steps[PP_RETRAIN_MAX_STEPS];
} pp_retrain_result;

void pp_retrain_opts_default(pp_retrain_opts *o);
/* Weights allowed by a power threshold: P[w] <= thr, plus zero; returns the count. */
int pp_retrain_power_set(const double *power_uw, double thr_uw, uint8_t *W);
int pp_retrain_count(const uint8_t *set, int n);
/* Runs phase 1, phase 2, then phase 3. */
int pp_retrain_run(const pp_retrain_opts *o, const pp_retrain_ops *ops, pp_retrain_result *r, pp_err *e);

#endif
