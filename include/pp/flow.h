/* flow: the whole PowerPruning flow as resumable stages in one output folder.
 *
 * The ledger is generic: a stage has a name and a canonical option string; its
 * result is a JSON object stored atomically in DIR/stages/<name>.json together
 * with the options, a key that hashes them and the keys of every stage
 * before it, and the size and CRC-32 of each file the stage made. A stage
 * whose file exists with the same key (and whose listed files still hold
 * that content) is skipped and its result read back; a changed option
 * redoes that stage and everything after it. An interrupted run therefore
 * resumes where it stopped.
 *
 * pp_flow_run binds the stages of the paper to the modules below (nn, array,
 * characterize, select, retrain, estimate, plot, report). */
#ifndef PP_FLOW_H
#define PP_FLOW_H

#include <stdint.h>
#include <stdio.h>

#include "pp/report.h"
#include "pp/util.h"

#define PP_FLOW_STAGE_FORMAT "powerprune-stage/2"

/* Where messages go: the library never prints, the CLI passes a printer. */
typedef void (*pp_flow_log_fn)(void *user, const char *msg);

typedef struct pp_flow_ledger {
  char dir[4096];      /* the output folder */
  uint64_t chain;      /* key of the last stage checked or run */
  int nstages, nskipped;
  int force;           /* redo every stage */
  pp_flow_log_fn log;
  void *log_user;
  int lock_fd;         /* DIR/.powerprune.lock, held (flock) while open; -1 when none */
  /* each stage checked: its time when it ran (read back from its file when
   * done already), and whether it ran now; beyond PP_REPORT_MAX_STAGES
   * stages only n_times counts on */
  int n_times;
  pp_report_stage_time times[PP_REPORT_MAX_STAGES];
} pp_flow_ledger;

#define PP_FLOW_LOCK_NAME ".powerprune.lock"
/* Creates DIR and DIR/stages, takes DIR/.powerprune.lock (flock, holding
 * our pid): a folder has one writer at a time, and a second run into it is
 * PP_EIO naming the lock and the process that holds it. The kernel drops the
 * lock when its process dies, so a lock file left by a killed run is stale
 * and is simply taken over. Holding the lock, it removes temporary files
 * ("*.tmp.PID") an interrupted run left. Close with pp_flow_ledger_close. */
int pp_flow_ledger_open(pp_flow_ledger *l, const char *dir, pp_err *e);
/* Releases the lock (the file stays; it is only a name for flock). */
void pp_flow_ledger_close(pp_flow_ledger *l);
void pp_flow_log(pp_flow_ledger *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 64-bit FNV-1a, chained from PP_FLOW_HASH_INIT (its offset basis): the stage key. */
#define PP_FLOW_HASH_INIT 0xcbf29ce484222325ULL
uint64_t pp_flow_hash(uint64_t h, const void *data, size_t n);

/* Options of a stage as "k=v" lines in insertion order (values may not hold '\n'). */
typedef struct pp_flow_opts_str {
  char buf[8192];
  size_t len;
  int overflow;
} pp_flow_opts_str;
void pp_flow_opt(pp_flow_opts_str *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Returns 1 (and the stored result in *result, to free with
 * pp_jv_free) when stage `name` is done with these options; 0 when it
 * must run. A stage file that is corrupt or from other options is not an
 * error: the stage runs again (and the log says why). */
int pp_flow_stage_check(pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts, pp_jv *result,
                        pp_err *e);
/* Records stage `name` as done: result_json is one JSON object; `files` (NULL
 * terminated, relative to the folder, may be NULL) are recorded with their
 * size and CRC-32, and must still match for a later run to skip the stage. */
int pp_flow_stage_commit(pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts, const char *result_json,
                         const char *const *files, double seconds, pp_err *e);
/* A side stage: checked and committed like any other, keyed on the stages
 * before it, but the stages after it neither chain on it nor count it (the
 * stage count seeds their training), so that whether it runs changes nothing
 * else. pp_flow_side_end restores what pp_flow_side_begin saved. */
typedef struct pp_flow_mark {
  uint64_t chain;
  int nstages;
} pp_flow_mark;
void pp_flow_side_begin(const pp_flow_ledger *l, pp_flow_mark *m);
void pp_flow_side_end(pp_flow_ledger *l, const pp_flow_mark *m);
/* DIR/<rel> into buf. */
const char *pp_flow_path(const pp_flow_ledger *l, const char *rel, char *buf, size_t n);

/* ---- the PowerPruning flow ------------------------------------------------- */
/* PP_FLOW_TUPLES_JOINT (default): (activation, partial sum) transitions drawn jointly from the trace's
 * reservoir of the real streams; PP_FLOW_TUPLES_BINS: the paper's way, the activation-transition histogram
 * and the partial-sum bin transitions sampled independently (make bench-check: -5.6% to -7.5% against gate
 * level on LeNet-5's conv1 for three seeds, joint -1.1% to -1.5%). */
enum { PP_FLOW_TUPLES_JOINT = 0, PP_FLOW_TUPLES_BINS = 1 };

#define PP_FLOW_MAX_LIB_AT 7 /* with lib_file: PP_EST_VFIT_MAX supplies */

typedef struct pp_flow_opts {
  const char *out_dir;     /* required */
  const char *model;       /* lenet5 | resnet20 | dwnet */
  const char *data;        /* fashion-mnist | cifar10 | synthetic */
  const char *data_dir;    /* NULL: the data set's default place */
  const char *model_file;  /* a trained float model to start from (skips training) */
  const char *mac_file;    /* NULL: the built-in MAC (full: ports w, a, p -> y) */
  const char *mult_file;   /* its multiplier (w, a -> prod) and adder (prod, p -> y), for timing */
  const char *adder_file;
  const char *lib_file;    /* NULL: the built-in cell library */
  /* --lib-at: the same library characterized at other supplies; the voltage
   * law is then fitted to the MAC's STA and leakage at those and lib_file's
   * (estimate's pp_est_vmodel_fit) instead of the default. v <= 0: the
   * file's nom_voltage. */
  int n_lib_at;
  double lib_at_v[PP_FLOW_MAX_LIB_AT];
  char lib_at_file[PP_FLOW_MAX_LIB_AT][1024];
  const char *mult_arch;   /* built-in MAC: "array" or "booth" multiplier (default PP_MAC_MULT_DEFAULT's name; NULL: the same) */
  const char *adder_arch;  /* built-in MAC: "ripple" or "prefix" adder (NULL: the generator's default) */
  int quick;               /* fewer epochs, images and transitions */
  uint64_t seed;
  double tolerance;        /* accuracy points the delay phase may lose */
  double power_tolerance;  /* accuracy points the power phase may lose */
  int delay_starts;        /* the delay phase runs from this many of the last accepted power steps; the
                            * kept one is the lowest estimated Optimized-HW power (pp_retrain_opts) */
  double sparsity;         /* conventional pruning target, fraction of zero weights (used when !sparsity_auto) */
  int sparsity_auto;       /* 1 (default): the highest sparsity of the model's grid whose fine-tuned decision
                            * accuracy loses at most prune_share * tolerance points against int8 */
  int final_prune;         /* 1 (default): after the delay phase, the loss budget left goes to more sparsity
                            * (pp_retrain_opts phase 3: pruned weights become the always-allowed zero) */
  double prune_share;      /* share of the loss budget pruning may spend under sparsity_auto (0: 1/2) */
  int val_images;          /* decision images held out of the training file (0: 5000; quick 1000; at most
                            * a fifth of the training file) */
  int refine_retrains;     /* bisection retrains per phase after a failed step (-1: 3; quick 2; 0: none) */
  int min_activations;     /* delay phase: sets keeping fewer activation values are not candidates, and a
                            * threshold where every candidate does is infeasible (0: 2) */
  int candidates;          /* delay-selection candidates per threshold ranked by the proxy (0: 6; 1: no ranking) */
  int prune_global;        /* one magnitude threshold over all layers instead of each layer to the
                            * sparsity (per layer prunes the convolutions, where the MACs are) */
  int epochs;              /* float training (0: default for the model) */
  int qat_epochs;          /* int8 QAT and pruning fine-tune (0: default) */
  int retrain_epochs;      /* per threshold step (0: default) */
  int train_images;        /* 0: all */
  int test_images;         /* 0: all */
  int trace_images;        /* images run on the array (0: default) */
  int transitions;         /* sampled (activation, partial-sum) transitions per weight (0: default) */
  int array;               /* N of the N x N array (0: 64) */
  int repeats;             /* delay selection repeats (0: 20) */
  const char *select_method; /* delay selection: "search", "greedy" or "random" (NULL: module select's default) */
  double delay_step_ps;    /* 0: 10 */
  double tick_ps;          /* time step of the timing simulation (0: 1 ps; quick 4 ps) */
  int power_divisions;     /* > 0: power thresholds in equal µW steps over the P[w] range instead of counts */
  int power_counts[32];    /* weight values each power step keeps (0-terminated; empty: 192, 128, 96, 64,
                            * 48, 32, 24, 16; quick: 96, 32) */
  int no_pann;             /* skip stages 01-pann and 21-pann (PowerPruning beside PANN and plain low-bit) */
  int power_tuples;        /* the transitions P[w] is characterized on (PP_FLOW_TUPLES_*) */
  int pann_samples;        /* transitions per part when fitting the bit-flip models (0: 3000; quick 400) */
  int pann_qat_steps;      /* stage 01-pann also fine-tunes PANN at the 2- and 3-bit budgets for this many steps
                            * (pp_pann_deploy_run, as `pann qat`); 0: not; -1 (default): 2000, quick 0 */
  int force;               /* redo every stage */
  const char *cache_dir;   /* trained float models, delay tables and bit-flip power models reused across folders;
                            * NULL: $PP_CACHE_DIR, else $XDG_CACHE_HOME/powerprune, else ~/.cache/powerprune */
  int no_cache;            /* neither read nor write the cache */
  int threads;             /* 0: library default */
  pp_flow_log_fn log;
  void *log_user;
} pp_flow_opts;

void pp_flow_opts_default(pp_flow_opts *o);
/* Runs (or resumes) the flow and writes the report into o->out_dir; r gets it. Each call has a context of
 * its own (on the heap), so nothing is shared between calls but the process-wide thread count. */
int pp_flow_run(const pp_flow_opts *o, pp_report *r, pp_err *e);

#endif
